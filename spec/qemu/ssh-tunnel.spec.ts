// The SPICE connection through an ssh tunnel (a libvirt display on a remote host's loopback), against QEMU's
// real SPICE server. ssh is a stand-in (SPICE_WEBDAV_SSH): a node script that records its arguments and does
// what the remote `nc ADDRESS PORT` would, so the spec needs no sshd, keys or network (docs/libvirt.md says
// why the real-ssh run is not in CI).

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { connectSpice, type SpiceSessionOptions } from '../../src/edge/spice/spice-session';
import { SpicevmcCap } from '../../src/wire/constants';
import { recordSession, type SessionRecorder } from './support/session-recorder';
import { makeTestCertificates, type TestCertificates } from './support/tls-certs';

jest.setTimeout(60_000);

const FAKE_SSH = `#!${process.execPath}
// ssh [options] -- HOST nc ADDRESS PORT: record the arguments, then be the remote nc.
const fs = require('node:fs');
const net = require('node:net');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_SSH_LOG, JSON.stringify(args) + '\\n');
const [nc, address, port] = args.slice(-3);
if (nc !== 'nc') process.exit(2);
const socket = net.connect({ host: address, port: Number(port) });
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(1));
`;

describe('SPICE through an ssh tunnel (stand-in ssh, real QEMU)', () => {
  let dir: string;
  let log: string;
  const saved = { ssh: process.env.SPICE_WEBDAV_SSH, log: process.env.FAKE_SSH_LOG };
  const qemus: RunningQemu[] = [];
  const sessions: SessionRecorder[] = [];
  let certificates: TestCertificates | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-fake-ssh-'));
    log = join(dir, 'calls');
    writeFileSync(log, '');
    const ssh = join(dir, 'ssh');
    writeFileSync(ssh, FAKE_SSH);
    chmodSync(ssh, 0o755);
    process.env.SPICE_WEBDAV_SSH = ssh;
    process.env.FAKE_SSH_LOG = log;
  });
  afterEach(async () => {
    sessions.splice(0).forEach((session) => session.unsubscribe());
    await Promise.all(qemus.splice(0).map((qemu) => qemu.stop()));
    certificates?.remove();
    certificates = undefined;
  });
  afterAll(() => {
    if (saved.ssh === undefined) delete process.env.SPICE_WEBDAV_SSH;
    else process.env.SPICE_WEBDAV_SSH = saved.ssh;
    if (saved.log === undefined) delete process.env.FAKE_SSH_LOG;
    else process.env.FAKE_SSH_LOG = saved.log;
    rmSync(dir, { recursive: true, force: true });
  });

  const calls = (): string[][] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as string[]);

  async function qemu(options?: Parameters<typeof startQemu>[0]): Promise<RunningQemu> {
    const running = await startQemu(options);
    qemus.push(running);
    return running;
  }
  function connect(options: SpiceSessionOptions): SessionRecorder {
    const session = recordSession(connectSpice(options));
    sessions.push(session);
    return session;
  }

  it('links main and webdav, each channel through its own `ssh -- HOST nc ADDRESS PORT`', async () => {
    writeFileSync(log, '');
    const vm = await qemu();
    const session = connect({
      target: { kind: 'tcp', host: '127.0.0.1', port: vm.spice.port, via: { host: 'vmhost', user: 'admin' } },
    });
    const main = await session.until('main-linked');
    expect(main.endpoint).toMatchObject({ host: '127.0.0.1', port: vm.spice.port, via: { host: 'vmhost' } });
    // The link behind the tunnel is remote: compression 'auto' asks spice-server for LZ4 on webdav.
    const webdav = await session.until('webdav-linked');
    expect(webdav.advertisedChannelCaps).toEqual([SpicevmcCap.DATA_COMPRESS_LZ4]);
    const expected = ['-l', 'admin', '-o', 'BatchMode=yes', '-e', 'none', '--', 'vmhost', 'nc', '127.0.0.1'];
    expect(calls().slice(0, 2)).toEqual([
      [...expected, String(vm.spice.port)],
      [...expected, String(vm.spice.port)],
    ]);
  });

  it('runs TLS over the tunnel to the TLS port, checking the certificate', async () => {
    writeFileSync(log, '');
    certificates = makeTestCertificates('spice-test-host', false);
    const vm = await qemu({ tls: { x509Dir: certificates.x509Dir }, tlsOnlyChannels: true });
    const session = connect({
      target: {
        kind: 'tcp',
        host: '127.0.0.1',
        port: vm.spice.port,
        tlsPort: vm.spice.tlsPort,
        via: { host: 'vmhost', port: 2222 },
      },
      tls: { caFile: certificates.caFile, hostSubject: certificates.serverSubject },
    });
    const main = await session.until('main-linked');
    expect(main.endpoint).toMatchObject({ port: vm.spice.tlsPort, secure: true });
    await session.until('webdav-linked');
    expect(calls().map((args) => args.slice(0, 2))).toContainEqual(['-p', '2222']);
    expect(calls().map((args) => args[args.length - 1])).toContain(String(vm.spice.tlsPort));
  });
});
