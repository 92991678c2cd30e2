// The SPICE connection layer against QEMU's real SPICE server (no guest OS). Each spec starts its own QEMU
// and stops it in afterEach, even when the spec fails.

import type { Socket } from 'node:net';

import { SpiceConnectionError } from '../../src/edge/spice/errors';
import { connectSpice, type SpiceSessionOptions } from '../../src/edge/spice/spice-session';
import type { SpiceTarget } from '../../src/edge/spice/target';
import { freeLoopbackPort, startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { recordSession, type SessionRecorder } from './support/session-recorder';
import { makeTestCertificates, type TestCertificates } from './support/tls-certs';

jest.setTimeout(60_000);

describe('SPICE connection against QEMU', () => {
  const qemus: RunningQemu[] = [];
  const sessions: SessionRecorder[] = [];
  let certificates: TestCertificates | undefined;

  afterEach(async () => {
    sessions.splice(0).forEach((session) => session.unsubscribe());
    await Promise.all(qemus.splice(0).map((qemu) => qemu.stop()));
    certificates?.remove();
    certificates = undefined;
  });

  async function qemu(options?: Parameters<typeof startQemu>[0]): Promise<RunningQemu> {
    const running = await startQemu(options);
    qemus.push(running);
    return running;
  }

  function tcpTarget(vm: RunningQemu): SpiceTarget {
    return { kind: 'tcp', host: vm.spice.host, port: vm.spice.port, tlsPort: vm.spice.tlsPort };
  }

  function connect(options: SpiceSessionOptions): SessionRecorder {
    const session = recordSession(connectSpice(options));
    sessions.push(session);
    return session;
  }

  async function failureOf(session: SessionRecorder): Promise<SpiceConnectionError> {
    const error = await session.failure();
    expect(error).toBeInstanceOf(SpiceConnectionError);
    return error as SpiceConnectionError;
  }

  it('links main and the webdav channel and reports the port state (closed: no guest)', async () => {
    const vm = await qemu();
    const session = connect({ target: tcpTarget(vm) });
    const main = await session.until('main-linked');
    expect(main.sessionId).not.toBe(0);
    const channels = await session.until('channels');
    expect(channels.list).toContainEqual({ type: 11, id: 0 });
    const webdav = await session.until('webdav-linked');
    expect(webdav.headerKind).toBe('mini');
    const portInit = await session.until('port-init');
    expect(portInit).toEqual({ kind: 'port-init', name: 'org.spice-space.webdav.0', opened: false });
  });

  it('answers the network-test pings on main and stays connected after the test', async () => {
    const vm = await qemu();
    const session = connect({ target: tcpTarget(vm) });
    // The 250 KiB network-test ping; then the server's later latency pings prove it kept us after the test.
    await session.until('ping-answered', (ping) => ping.channel === 'main' && ping.size >= 250 * 1024);
    const netTestIndex = session.events.findIndex((e) => e.kind === 'ping-answered' && e.size >= 250 * 1024);
    await session.until(
      'ping-answered',
      (ping) => ping.channel === 'main' && session.events.indexOf(ping) > netTestIndex,
    );
    await session.until('port-init');
  });

  it('authenticates with the right password on every channel', async () => {
    const vm = await qemu({ spicePassword: 'sesame' });
    const session = connect({ target: tcpTarget(vm), password: 'sesame' });
    await session.until('port-init');
  });

  it('fails with an auth error that says what to do when the password is wrong', async () => {
    const vm = await qemu({ spicePassword: 'sesame' });
    const error = await failureOf(connect({ target: tcpTarget(vm), password: 'wrong' }));
    expect(error.reason).toBe('auth');
    expect(error.message).toMatch(/password/);
    expect(error.message).toMatch(/PERMISSION_DENIED/);
  });

  it('connects over TLS with the test CA, verifying the host name', async () => {
    certificates = makeTestCertificates('localhost', true);
    const vm = await qemu({ tls: { x509Dir: certificates.x509Dir } });
    const session = connect({
      target: { kind: 'tcp', host: 'localhost', tlsPort: vm.spice.tlsPort },
      tls: { caFile: certificates.caFile },
    });
    const main = await session.until('main-linked');
    expect(main.endpoint).toMatchObject({ kind: 'tcp', secure: true });
    await session.until('port-init');
  });

  // The move after a NEED_SECURED answer (for a channel the user allows in clear): spec/qemu/tls-first.spec.ts.
  it('links every channel on the TLS port when both ports are known, checking the host subject', async () => {
    // No subjectAltName and an IP address to connect to: only the host-subject check can accept this certificate.
    certificates = makeTestCertificates('spice-test-host', false);
    const vm = await qemu({ tls: { x509Dir: certificates.x509Dir }, tlsOnlyChannels: true });
    const session = connect({
      target: tcpTarget(vm),
      tls: { caFile: certificates.caFile, hostSubject: certificates.serverSubject },
    });
    const main = await session.until('main-linked');
    expect(main.endpoint).toMatchObject({ secure: true, port: vm.spice.tlsPort });
    const webdav = await session.until('webdav-linked');
    expect(webdav.endpoint).toMatchObject({ secure: true });
    await session.until('port-init');
  });

  it('fails with a tls error when the certificate subject is not the expected one', async () => {
    certificates = makeTestCertificates('spice-test-host', false);
    const vm = await qemu({ tls: { x509Dir: certificates.x509Dir }, tlsOnlyChannels: true });
    const error = await failureOf(
      connect({
        target: tcpTarget(vm),
        tls: { caFile: certificates.caFile, hostSubject: 'CN=someone-else' },
      }),
    );
    expect(error.reason).toBe('tls');
    expect(error.message).toMatch(/--host-subject/);
  });

  it('asks for --tls-port when the server requires TLS and only the plain port is known', async () => {
    certificates = makeTestCertificates();
    const vm = await qemu({ tls: { x509Dir: certificates.x509Dir }, tlsOnlyChannels: true });
    const error = await failureOf(
      connect({ target: { kind: 'tcp', host: vm.spice.host, port: vm.spice.port } }),
    );
    expect(error.reason).toBe('tls');
    expect(error.message).toMatch(/--tls-port/);
  });

  it('fails with no-webdav-port, naming the chardev to add, on a VM without the webdav port', async () => {
    const vm = await qemu({ webdavPort: false });
    const error = await failureOf(connect({ target: tcpTarget(vm) }));
    expect(error.reason).toBe('no-webdav-port');
    expect(error.message).toMatch(/spiceport,name=org\.spice-space\.webdav\.0/);
  });

  it('fails with refused when nothing listens on the port', async () => {
    const port = await freeLoopbackPort();
    const error = await failureOf(connect({ target: { kind: 'tcp', host: '127.0.0.1', port } }));
    expect(error.reason).toBe('refused');
    expect(error.message).toBe(
      `Nothing listens on 127.0.0.1:${port}: is the VM running with -spice port=${port}?`,
    );
  });

  it("reports 'kicked' when a second client connects to the same VM, and the second client works", async () => {
    const vm = await qemu();
    const first = connect({ target: tcpTarget(vm) });
    await first.until('port-init');
    const second = connect({ target: tcpTarget(vm) });
    const error = await failureOf(first);
    expect(error.reason).toBe('kicked');
    expect(error.message).toMatch(/another SPICE client/);
    await second.until('port-init');
  });

  it("reports 'server-gone' when QEMU is killed mid-session", async () => {
    const vm = await qemu();
    const session = connect({ target: tcpTarget(vm) });
    await session.until('port-init');
    process.kill(vm.pid, 'SIGKILL');
    const error = await failureOf(session);
    expect(error.reason).toBe('server-gone');
  });

  it('works over a unix socket', async () => {
    const vm = await qemu({ unixSocket: true });
    const path = vm.spice.unixPath;
    if (path === undefined) throw new Error('startQemu({ unixSocket: true }) returned no unixPath');
    const session = connect({ target: { kind: 'unix', path } });
    const webdav = await session.until('webdav-linked');
    expect(webdav.endpoint).toEqual({ kind: 'unix', path });
    await session.until('port-init');
  });

  it('closes every socket on unsubscribe', async () => {
    const vm = await qemu();
    const sockets: Socket[] = [];
    const session = connect({ target: tcpTarget(vm), onSocket: (socket) => sockets.push(socket) });
    await session.until('port-init');
    expect(sockets.length).toBe(2);
    const closed = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    session.unsubscribe();
    await Promise.all(closed);
    expect(sockets.every((socket) => socket.destroyed)).toBe(true);
  });
});
