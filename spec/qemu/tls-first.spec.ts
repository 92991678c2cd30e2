// The password never travels on the plain port when a TLS port is known. QEMU's real SPICE server listens on
// both ports; a recording proxy stands in as the plain port, so every byte a client would send in clear is
// seen (the link message, the auth mechanism, the encrypted ticket).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChannelType } from '../../src/wire/constants';
import { SpiceConnectionError } from '../../src/edge/spice/errors';
import { connectSpice, type SpiceSessionOptions } from '../../src/edge/spice/spice-session';
import {
  freeLoopbackPort,
  startQemu,
  type QemuOptions,
  type RunningQemu,
} from '../../src/edge/qemu/launcher';
import { killAll, runCli, until, type CliRun } from './support/cli-run';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy';
import { recordSession, type SessionRecorder } from './support/session-recorder';
import { makeTestCertificates, type TestCertificates } from './support/tls-certs';

jest.setTimeout(60_000);

const PASSWORD = 'over-tls-only';

describe('TLS first: the ticket only over TLS when a TLS port is known', () => {
  let vm: RunningQemu | undefined;
  let plainPort: RecordingProxy | undefined;
  let certificates: TestCertificates | undefined;
  let dir: string | undefined;
  const sessions: SessionRecorder[] = [];
  const runs: CliRun[] = [];

  afterEach(async () => {
    sessions.splice(0).forEach((session) => session.unsubscribe());
    await killAll(runs);
    await plainPort?.close();
    await vm?.stop();
    certificates?.remove();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    vm = plainPort = certificates = dir = undefined;
  });

  /** QEMU with a password and both ports (every channel allowed on either, QEMU's default). */
  async function startBothPorts(channels: Pick<QemuOptions, 'tlsOnlyChannels' | 'plaintextChannels'> = {}) {
    certificates = makeTestCertificates('spice-test-host', false);
    vm = await startQemu({ spicePassword: PASSWORD, tls: { x509Dir: certificates.x509Dir }, ...channels });
    plainPort = await startRecordingProxy(vm.spice.host, vm.spice.port);
    const tlsPort = vm.spice.tlsPort;
    if (tlsPort === undefined) throw new Error('startQemu({ tls }) returned no tlsPort');
    return { vm, plainPort, tlsPort, certificates };
  }

  function connect(options: SpiceSessionOptions): SessionRecorder {
    const session = recordSession(connectSpice(options));
    sessions.push(session);
    return session;
  }

  function vvFile(name: string, lines: string[]): string {
    dir ??= mkdtempSync(join(tmpdir(), 'spice-webdav-tls-first-'));
    const file = join(dir, name);
    writeFileSync(file, ['[virt-viewer]', 'type=spice', ...lines, ''].join('\n'));
    return file;
  }

  it('links main and webdav on the TLS port and sends nothing to the plain port', async () => {
    const { plainPort, tlsPort, certificates } = await startBothPorts();
    const session = connect({
      target: { kind: 'tcp', host: '127.0.0.1', port: plainPort.port, tlsPort },
      tls: { caFile: certificates.caFile, hostSubject: certificates.serverSubject },
      password: PASSWORD,
    });
    expect((await session.until('main-linked')).endpoint).toMatchObject({ secure: true, port: tlsPort });
    expect((await session.until('webdav-linked')).endpoint).toMatchObject({ secure: true, port: tlsPort });
    await session.until('port-init');
    expect(plainPort.connections).toHaveLength(0);
  });

  it('does the same from the CLI: a spice:// URI with tls-port=, and an oVirt .vv with secure-channels=', async () => {
    const { vm, plainPort, tlsPort, certificates } = await startBothPorts();
    const tlsArgs = ['--ca-file', certificates.caFile, '--host-subject', certificates.serverSubject];
    const uri = runCli([`spice://127.0.0.1?port=${plainPort.port}&tls-port=${tlsPort}`, ...tlsArgs], {
      SPICE_PASSWORD: PASSWORD,
    });
    runs.push(uri);
    await until(uri, 'webdav channel up');
    expect(uri.output()).toContain(`connected to 127.0.0.1:${tlsPort} (TLS)`);
    uri.child.kill('SIGTERM');
    expect((await uri.exited).code).toBe(0);

    const ovirt = vvFile('ovirt.vv', [
      `host=${vm.spice.host}`,
      `port=${plainPort.port}`,
      `tls-port=${tlsPort}`,
      `password=${PASSWORD}`,
      'secure-channels=main;inputs;cursor;playback;record;display;smartcard;usbredir;webdav',
    ]);
    const fromFile = runCli([ovirt, ...tlsArgs]);
    runs.push(fromFile);
    await until(fromFile, 'webdav channel up');
    expect(fromFile.output()).toContain(`connected to 127.0.0.1:${tlsPort} (TLS)`);
    fromFile.child.kill('SIGTERM');
    expect((await fromFile.exited).code).toBe(0);
    expect(plainPort.connections).toHaveLength(0);
  });

  it('honours --secure-channels main: main over TLS, webdav (left out by the user) on the plain port', async () => {
    const { plainPort, tlsPort, certificates } = await startBothPorts();
    const run = runCli(
      [
        `spice://127.0.0.1?port=${plainPort.port}&tls-port=${tlsPort}`,
        '--secure-channels',
        'main',
        '--ca-file',
        certificates.caFile,
        '--host-subject',
        certificates.serverSubject,
      ],
      { SPICE_PASSWORD: PASSWORD },
    );
    runs.push(run);
    await until(run, 'webdav channel up');
    expect(run.output()).toContain(`connected to 127.0.0.1:${tlsPort} (TLS)`);
    expect(plainPort.connections.map((connection) => connection.channelType)).toEqual([ChannelType.WEBDAV]);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('sends no ticket on a plain link the server answers with NEED_SECURED, then links over TLS', async () => {
    const { plainPort, tlsPort, certificates } = await startBothPorts({ tlsOnlyChannels: true });
    const session = connect({
      // The user allows webdav in clear; the server does not: NEED_SECURED comes before any ticket is sent.
      target: { kind: 'tcp', host: '127.0.0.1', port: plainPort.port, tlsPort, secureChannels: ['main'] },
      tls: { caFile: certificates.caFile, hostSubject: certificates.serverSubject },
      password: PASSWORD,
    });
    expect((await session.until('webdav-linked')).endpoint).toMatchObject({ secure: true, port: tlsPort });
    await plainPort.allClosed();
    expect(plainPort.connections.map((connection) => connection.channelType)).toEqual([ChannelType.WEBDAV]);
    expect(plainPort.connections.map((connection) => connection.bytesAfterLinkMessage)).toEqual([0]);
  });

  it('never falls back to the plain port when the TLS port refuses a channel (NEED_UNSECURED), unless allowed', async () => {
    const { plainPort, tlsPort, certificates } = await startBothPorts({ plaintextChannels: ['main'] });
    const tls = { caFile: certificates.caFile, hostSubject: certificates.serverSubject };
    const refused = connect({
      target: { kind: 'tcp', host: '127.0.0.1', port: plainPort.port, tlsPort },
      tls,
      password: PASSWORD,
    });
    const error = await refused.failure();
    expect(error).toMatchObject({ reason: 'tls' });
    expect((error as Error).message).toMatch(/does not allow TLS for the main channel.*--secure-channels/);
    expect(plainPort.connections).toHaveLength(0);

    const allowed = connect({
      target: { kind: 'tcp', host: '127.0.0.1', port: plainPort.port, tlsPort, secureChannels: ['webdav'] },
      tls,
      password: PASSWORD,
    });
    expect((await allowed.until('main-linked')).endpoint).toMatchObject({
      secure: false,
      port: plainPort.port,
    });
    expect((await allowed.until('webdav-linked')).endpoint).toMatchObject({ secure: true, port: tlsPort });
    expect(plainPort.connections.map((connection) => connection.channelType)).toEqual([ChannelType.MAIN]);
  });

  it('fails on a TLS port nobody listens on instead of falling back to the plain port', async () => {
    vm = await startQemu({ spicePassword: PASSWORD });
    plainPort = await startRecordingProxy(vm.spice.host, vm.spice.port);
    const closedTlsPort = await freeLoopbackPort();
    const session = connect({
      target: { kind: 'tcp', host: '127.0.0.1', port: plainPort.port, tlsPort: closedTlsPort },
      password: PASSWORD,
    });
    const error = await session.failure();
    expect(error).toBeInstanceOf(SpiceConnectionError);
    expect(error).toMatchObject({ reason: 'refused' });
    expect((error as Error).message).toContain(`tls-port=${closedTlsPort}`);
    expect(plainPort.connections).toHaveLength(0);
  });
});
