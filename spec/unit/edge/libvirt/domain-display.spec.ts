import { domainDisplay } from '../../../../src/edge/libvirt/domain-display';
import { parseDomainXml } from '../../../../src/edge/libvirt/domain-xml';
import { parseLibvirtUri } from '../../../../src/edge/libvirt/libvirt-uri';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import { domainXml } from './support/fake-virsh';

const display = (xml: string, uri: string) => domainDisplay(parseDomainXml(xml), parseLibvirtUri(uri), uri);

function failure(run: () => unknown): SpiceConnectionError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpiceConnectionError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('domainDisplay', () => {
  it('connects to the address and ports libvirt reports, with its password', () => {
    expect(
      display(domainXml({ id: 1, port: 5900, tlsPort: 5901, password: 'pw' }), 'qemu:///system'),
    ).toEqual({
      target: { kind: 'tcp', host: '127.0.0.1', port: 5900, tlsPort: 5901 },
      password: 'pw',
    });
  });

  it('reaches a display on all addresses through loopback locally and through the host name remotely', () => {
    const xml = domainXml({ id: 1, port: 5900, listen: '0.0.0.0' });
    expect(display(xml, 'qemu:///system').target).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5900 });
    expect(display(xml, 'qemu+tls://vmhost.example/system').target).toEqual({
      kind: 'tcp',
      host: 'vmhost.example',
      port: 5900,
    });
  });

  it('tunnels through ssh to a display on the remote host loopback', () => {
    const result = display(domainXml({ id: 1, port: 5905 }), 'qemu+ssh://admin@vmhost:2222/system');
    expect(result.target).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 5905,
      via: { host: 'vmhost', user: 'admin', port: 2222 },
    });
  });

  it('says why a remote loopback display cannot be reached without ssh', () => {
    const error = failure(() => display(domainXml({ id: 1, port: 5905 }), 'qemu+tls://vmhost/system'));
    expect(error.reason).toBe('no-spice-display');
    expect(error.message).toMatch(/qemu\+ssh:\/\/vmhost\/system/);
  });

  it('says what to add for a domain without SPICE graphics', () => {
    const error = failure(() => display(domainXml({ id: 1, graphics: false }), 'qemu:///system'));
    expect(error.reason).toBe('no-spice-display');
    expect(error.exitCode).toBe(20);
    expect(error.message).toContain("<graphics type='spice'");
  });

  it('prints the channel XML to add for a domain without the webdav channel', () => {
    const error = failure(() => display(domainXml({ id: 1, port: 5900, webdav: false }), 'qemu:///system'));
    expect(error.reason).toBe('no-webdav-port');
    expect(error.message).toContain("<channel type='spiceport'>");
    expect(error.message).toContain("<target type='virtio' name='org.spice-space.webdav.0'/>");
  });
});

describe('parseLibvirtUri', () => {
  it.each([
    [
      'qemu:///system',
      { remote: false, transport: undefined, host: undefined, user: undefined, port: undefined },
    ],
    [
      'qemu+ssh://root@h/system',
      { remote: true, transport: 'ssh', host: 'h', user: 'root', port: undefined },
    ],
    [
      'qemu+ssh://[::1]:22/system',
      { remote: true, transport: 'ssh', host: '::1', user: undefined, port: 22 },
    ],
    [
      'qemu+unix:///system',
      { remote: false, transport: 'unix', host: undefined, user: undefined, port: undefined },
    ],
  ])('%s', (uri, expected) => {
    expect(parseLibvirtUri(uri)).toEqual(expected);
  });
});
