// `npm run demo` as a newcomer runs it: boots the guest, shares a folder, lists, reads and writes from inside
// the guest, explains each step and leaves nothing running. And the demo's VM as another local user sees it:
// nothing to connect to but a SPICE port that wants a password.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { demoVm } from '../../src/edge/demo/demo-vm';
import { buildGuest, checkQemuAvailable, startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { connectSpice } from '../../src/edge/spice/spice-session';
import type { SpiceTarget } from '../../src/edge/spice/target';
import { recordSession, type SessionRecorder } from '../qemu/support/session-recorder';
import { listeningSockets } from './support/listening-sockets';

describe('the built-in demo', () => {
  it('shows folder sharing end to end and exits 0', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'spice-webdav'), 'demo'], {
      encoding: 'utf8',
      timeout: 280_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect({ status: result.status, output }).toMatchObject({ status: 0 });
    // The bundled CLI asks webdav-server for its classes in a process of its own: its answer, not the fallback.
    expect(output).toMatch(/WebDAV classes 1,2$/m);
    expect(output).toContain('hello.txt');
    expect(output).toContain('Hello from the host!');
    expect(output).toMatch(/from-the-guest\.txt now says: "Written inside the VM/);
    expect(output).toContain('Shutting the VM down');
  }, 300_000);

  /**
   * Starts `spice-webdav demo` with a TMPDIR of its own (the demo's folder and QEMU's temp dir are made there,
   * so "nothing left" is checkable) and resolves once its output shows `marker`.
   */
  const demos: ChildProcess[] = [];
  afterEach(() => {
    // A demo a failed expectation left running (its QEMU is taken care of by withOwnTmp).
    for (const demo of demos.splice(0))
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
  });

  async function demoAt(marker: string, ownTmp: string) {
    const demo = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'spice-webdav'), 'demo'], {
      env: { ...process.env, TMPDIR: ownTmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demos.push(demo);
    let output = '';
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    await new Promise<void>((reached, failed) => {
      demo.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes(marker)) reached();
      });
      demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      void exited.then(() => failed(new Error(`the demo exited before "${marker}":\n${output}`)));
    });
    return { demo, exited, output: () => output };
  }

  /** Runs `body` with a fresh TMPDIR, then checks the demo left nothing in it: no folder, no QEMU. */
  async function withOwnTmp(body: (ownTmp: string) => Promise<void>): Promise<void> {
    const ownTmp = mkdtempSync(join(tmpdir(), 'spice-webdav-demo-spec-'));
    try {
      await body(ownTmp);
      expect(readdirSync(ownTmp)).toEqual([]);
      // No QEMU whose files were under it (pgrep: 1 when nothing matches).
      expect(spawnSync('pgrep', ['-f', ownTmp]).status).toBe(1);
    } finally {
      spawnSync('pkill', ['-KILL', '-f', ownTmp]); // only if a failure left one: the demo or its QEMU
      rmSync(ownTmp, { recursive: true, force: true });
    }
  }

  it(
    'stopped by SIGTERM while its VM boots, exits 130 and leaves no folder, temp dir or QEMU behind',
    () =>
      withOwnTmp(async (ownTmp) => {
        const { demo, exited } = await demoAt('2. Booting it under QEMU', ownTmp);
        demo.kill('SIGTERM');
        expect(await exited).toBe(130);
      }),
    300_000,
  );

  it(
    'interrupted while it works in the VM, exits 130 without calling it a failure',
    () =>
      withOwnTmp(async (ownTmp) => {
        const { demo, exited, output } = await demoAt('4. Inside the VM', ownTmp);
        demo.kill('SIGINT'); // a guest command is under way: the cleanup cuts it short
        expect(await exited).toBe(130);
        expect(output()).not.toContain('The demo failed');
      }),
    300_000,
  );
});

describe("the demo's VM is reachable only by the user who started it", () => {
  let vm: RunningQemu | undefined;
  let password = '';
  const sessions: SessionRecorder[] = [];

  beforeAll(async () => {
    const availability = await checkQemuAvailable();
    if (!availability.ok) throw new Error(availability.hint);
    const setup = demoVm(await buildGuest());
    password = setup.spicePassword;
    vm = await startQemu(setup.qemu);
  }, 300_000);

  afterEach(() => sessions.splice(0).forEach((session) => session.unsubscribe()));
  afterAll(async () => {
    await vm?.stop();
  }, 30_000);

  function running(): RunningQemu {
    if (vm === undefined) throw new Error('the demo VM did not start (see beforeAll)');
    return vm;
  }

  function target(): SpiceTarget {
    return { kind: 'tcp', host: running().spice.host, port: running().spice.port };
  }

  it("listens on no port to the guest's relay: only SPICE, and unix sockets in a 0700 folder of the user", async () => {
    // The relay (9844 → spice-webdavd) runs in the guest, so what the host offers is what decides.
    expect((await running().guestExec('pidof socat')).code).toBe(0);
    const sockets = listeningSockets(running().pid);
    expect(sockets.tcp).toEqual([`127.0.0.1:${running().spice.port}`]);
    expect(sockets.unix.length).toBeGreaterThan(0); // the guest command channel
    for (const path of sockets.unix) {
      const folder = statSync(dirname(path));
      expect({ path, mode: folder.mode & 0o777, owner: folder.uid }).toEqual({
        path,
        mode: 0o700,
        owner: process.getuid?.(),
      });
    }
  }, 60_000);

  it("refuses a SPICE client without the password, and accepts the demo's own", async () => {
    const stranger = recordSession(connectSpice({ target: target() }));
    sessions.push(stranger);
    expect(await stranger.failure()).toMatchObject({ reason: 'auth' });
    const demo = recordSession(connectSpice({ target: target(), password }));
    sessions.push(demo);
    await demo.until('port-init');
  }, 60_000);
});
