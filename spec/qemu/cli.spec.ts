// The CLI as a user runs it (bin/spice-webdav, built by `npm ci`), against QEMU's real SPICE server.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { until } from './support/cli-run';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', '..', 'bin', 'spice-webdav');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}, asUser?: { uid: number; gid: number }): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asUser,
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

describe('spice-webdav CLI against QEMU', () => {
  const runs: Run[] = [];
  let vm: RunningQemu | undefined;
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-'))));
  afterEach(async () => {
    for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await vm?.stop();
    vm = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects, reports the webdav channel, and exits 0 within a second of SIGTERM', async () => {
    vm = await startQemu();
    const r = run(['--direct', `127.0.0.1:${vm.spice.port}`, '--share-dir', dir]);
    runs.push(r);
    await until(r, 'webdav channel up');
    await until(r, `sharing ${dir}`);
    const signalled = Date.now();
    r.child.kill('SIGTERM');
    const exit = await r.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5_000); // generous: a loaded CI machine; the goal is < 1 s
  });

  it('takes the password from --password-file and exits 13 with advice when it is wrong', async () => {
    vm = await startQemu({ spicePassword: 'right' });
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'wrong\n');
    const r = run([`spice://127.0.0.1:${vm.spice.port}`, '--password-file', pw]);
    runs.push(r);
    const exit = await r.exited;
    expect(exit.code).toBe(13);
    expect(r.output()).toMatch(/password/i);

    writeFileSync(pw, 'right\n');
    const ok = run([`spice://127.0.0.1:${vm.spice.port}`, '--password-file', pw]);
    runs.push(ok);
    await until(ok, 'webdav channel up');
    ok.child.kill('SIGINT');
    expect((await ok.exited).code).toBe(0);
  });

  it('exits 14 and explains how to add the webdav port when the VM has none', async () => {
    vm = await startQemu({ webdavPort: false });
    const r = run(['--direct', `127.0.0.1:${vm.spice.port}`], { SPICE_PASSWORD: '' });
    runs.push(r);
    expect((await r.exited).code).toBe(14);
    expect(r.output()).toContain('org.spice-space.webdav.0');
  });

  it('exits 10 when nothing listens, and 2 on a usage error', async () => {
    const refused = run(['--direct', '127.0.0.1:1']);
    runs.push(refused);
    expect((await refused.exited).code).toBe(10);
    const usage = run(['--direct', 'no-port-here']);
    runs.push(usage);
    expect((await usage.exited).code).toBe(2);
    expect(usage.output()).toContain('has no port');
  });

  it('--reconnect HOST:PORT connects to HOST:PORT (the option never takes the address)', async () => {
    vm = await startQemu();
    const r = run(['--reconnect', `127.0.0.1:${vm.spice.port}`, '--share-dir', dir, '-v']);
    runs.push(r);
    await until(r, `connecting to 127.0.0.1:${vm.spice.port}`); // --verbose names the port too
    await until(r, `sharing ${dir}`);
    expect(r.output()).not.toContain('demo');
    r.child.kill('SIGTERM');
    expect((await r.exited).code).toBe(0);
  });

  it('exits 2 before connecting when a share folder is missing (an open viewer keeps its session)', async () => {
    // A listener that counts connections stands in for the SPICE server: none may arrive.
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      for (const args of [
        ['--share-dir', join(dir, 'nope')],
        ['--share', `a=${join(dir, 'nope')}`],
        ['--share-dir'],
      ]) {
        const r = run([`127.0.0.1:${port}`, ...args]);
        runs.push(r);
        expect((await r.exited).code).toBe(2);
        expect(r.output()).toMatch(
          /cannot share it, it does not exist; create it or give an existing folder|needs a value/,
        );
      }
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it('demo --share-dir with a missing folder exits 2 before booting anything', async () => {
    const r = run(['demo', '--share-dir', join(dir, 'nope')]);
    runs.push(r);
    expect((await r.exited).code).toBe(2);
    expect(r.output()).toContain('cannot share it, it does not exist');
    expect(r.output()).not.toContain('Booting');
  });

  it('says a password is needed, and how to give one, when none was given', async () => {
    vm = await startQemu({ spicePassword: 'right' });
    const r = run([`127.0.0.1:${vm.spice.port}`]);
    runs.push(r);
    expect((await r.exited).code).toBe(13);
    expect(r.output()).toContain('needs a password and none was given');
    expect(r.output()).toContain('--password-file FILE');
  });

  it('with --log-format json, ends with a fatal JSON object on stdout', async () => {
    const r = run(['--direct', '127.0.0.1:1', '--log-format', 'json']);
    runs.push(r);
    expect((await r.exited).code).toBe(10);
    const last =
      r
        .output()
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .at(-1) ?? '';
    expect(JSON.parse(last)).toMatchObject({ kind: 'fatal', reason: 'refused', exitCode: 10 });
    const usage = run(['--direct', 'no-port-here', '--log-format=json']);
    runs.push(usage);
    expect((await usage.exited).code).toBe(2);
    expect(usage.output()).toContain('"kind":"fatal","reason":"usage"');
  });

  // Needs a second user: root runs the CLI as nobody against root's stale socket in a sticky folder like /tmp.
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot(
    "explains, in one sentence, a stale control socket of another user's that it may not replace",
    async () => {
      chmodSync(dir, 0o1777);
      const socketPath = join(dir, 'sw.sock');
      // A listener killed before it could clean up leaves its socket file behind.
      const stale = spawn(process.execPath, [
        '-e',
        "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
        socketPath,
      ]);
      await new Promise((resolve) => stale.once('exit', resolve));
      expect(existsSync(socketPath)).toBe(true);
      const r = run(['127.0.0.1:1', '--control', socketPath], {}, { uid: 65534, gid: 65534 });
      runs.push(r);
      expect((await r.exited).code).toBe(2);
      expect(r.output()).toContain(`The control socket ${socketPath} belongs to another user`);
      expect(r.output()).not.toContain('EPERM');
      expect(r.output()).not.toMatch(/refused|127\.0\.0\.1:1/); // it never tried to connect
    },
  );
});
