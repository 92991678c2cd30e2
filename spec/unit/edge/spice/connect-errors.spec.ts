import { classifyConnectError } from '../../../../src/edge/spice/transport';

const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('what a failed connection tells the user', () => {
  // libvirt's sockets (/run/libvirt/qemu/...) are root's: "check the network and any firewall" sent users
  // looking in the wrong place (session 22).
  it('a unix socket the user may not open: a matter of users, not of the network', () => {
    const error = classifyConnectError(
      errno('EACCES', 'connect EACCES /run/vm.sock'),
      { kind: 'unix', path: '/run/vm.sock' },
      false,
    );
    expect(error.message).toMatch(
      /^Your user may not open unix socket \/run\/vm\.sock \(EACCES\): run spice-webdav as/,
    );
    expect(error.message).not.toMatch(/firewall/);
  });

  it("a TLS handshake refused with OpenSSL's text: one line of it", () => {
    const error = classifyConnectError(
      errno(
        'ERR_SSL_WRONG_VERSION_NUMBER',
        'C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:355:\n',
      ),
      { kind: 'tcp', host: '127.0.0.1', port: 5930, secure: true },
      true,
    );
    expect(error.message).not.toMatch(/\n/);
    expect(error.message).toMatch(/wrong version number.*\): is 5930 really QEMU's SPICE tls-port\?$/);
  });
});
