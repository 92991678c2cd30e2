// Control while running, against QEMU's real SPICE server (no guest): the --control socket (JSON lines,
// mode 0600), terminal commands when stdin is a terminal, and the JSON log.

import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { BIN, killAll, runCli, until, type CliRun } from './support/cli-run';

jest.setTimeout(60_000);

/** Sends JSON lines over one connection and returns the parsed answers, one per request. */
async function ask(socketPath: string, requests: readonly unknown[]): Promise<Record<string, unknown>[]> {
  const socket = connect(socketPath);
  const reader = createInterface({ input: socket });
  const answers: Record<string, unknown>[] = [];
  const done = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    reader.on('line', (line) => {
      answers.push(JSON.parse(line) as Record<string, unknown>);
      if (answers.length === requests.length) resolve();
    });
  });
  for (const request of requests)
    socket.write(`${typeof request === 'string' ? request : JSON.stringify(request)}\n`);
  try {
    await done;
  } finally {
    socket.destroy();
  }
  return answers;
}

describe('spice-webdav control while running', () => {
  const runs: CliRun[] = [];
  let vm: RunningQemu | undefined;
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-control-'))));
  afterEach(async () => {
    await killAll(runs);
    await vm?.stop();
    vm = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers share, stop and status on the --control socket (mode 0600), with JSON logs on stdout', async () => {
    vm = await startQemu();
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    mkdirSync(first);
    mkdirSync(second);
    const socketPath = join(dir, 'control.sock');
    const run = runCli([
      `127.0.0.1:${vm.spice.port}`,
      '--share-dir',
      first,
      '--control',
      socketPath,
      '--log-format',
      'json',
    ]);
    runs.push(run);
    await until(run, '"kind":"sharing-started"');
    await until(run, '"kind":"channel-ready"');
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);

    const [status] = await ask(socketPath, [{ command: 'status' }]);
    expect(status).toEqual({
      ok: true,
      status: expect.objectContaining({
        channel: 'ready',
        guestPort: 'closed', // no guest OS, so no spice-webdavd
        shared: { path: first, readOnly: false },
        clients: [],
      }),
    });

    const answers = await ask(socketPath, [
      { command: 'share', path: second, readOnly: true },
      { command: 'share', path: join(dir, 'missing') },
      'not json',
      { command: 'stop' },
      { command: 'status' },
    ]);
    expect(answers[0]).toEqual({ ok: true, shared: { path: second, readOnly: true } });
    expect(answers[1]).toMatchObject({ ok: false, error: expect.stringContaining('missing') });
    expect(answers[2]).toMatchObject({ ok: false, error: expect.stringContaining('not JSON') });
    expect(answers[3]).toEqual({ ok: true, stopped: true });
    expect(answers[4]).toMatchObject({ ok: true, status: { shared: null } });

    // The replies may overtake the log on its pipe: wait for the last event asked about.
    await until(run, '"kind":"sharing-stopped"');
    // Every stdout line is one JSON event; no progress line, no terminal escapes (stdout is a pipe).
    const lines = run.stdout().trim().split('\n');
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('kind');
    expect(lines.map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(
      expect.arrayContaining([
        'connected',
        'channel-ready',
        'sharing-started',
        'sharing-stopped',
        'share-failed',
      ]),
    );
    expect(run.output()).not.toContain('\x1b[');

    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(() => statSync(socketPath)).toThrow(); // the socket file is removed on exit
  });

  it('answers a share sent as `echo ... | socat - UNIX-CONNECT:...` does: one line, then half-close', async () => {
    vm = await startQemu();
    const other = join(dir, 'other');
    mkdirSync(other);
    const socketPath = join(dir, 'control.sock');
    const run = runCli([`127.0.0.1:${vm.spice.port}`, '--share-dir', dir, '--control', socketPath]);
    runs.push(run);
    await until(run, `sharing ${dir}`);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ path: socketPath, allowHalfOpen: true });
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.once('error', reject);
      socket.once('close', () => resolve(received));
      socket.end(
        `${JSON.stringify({ command: 'share', path: '~/../../', readOnly: 'true' })}\n` +
          `${JSON.stringify({ command: 'share', path: other, readOnly: true })}\n`,
      );
    });
    expect(
      reply
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      { ok: false, error: expect.stringContaining('"readOnly" must be true or false') },
      { ok: true, shared: { path: other, readOnly: true } },
    ]);
    // A closed terminal (SIGHUP) stops as cleanly as SIGTERM: exit 0, the socket file removed.
    run.child.kill('SIGHUP');
    expect((await run.exited).code).toBe(0);
    expect(() => statSync(socketPath)).toThrow();
  });

  it('reports several folders as a list of {name, path, readOnly} in events and status', async () => {
    vm = await startQemu();
    const docs = join(dir, 'docs');
    const music = join(dir, 'music');
    mkdirSync(docs);
    mkdirSync(music);
    const socketPath = join(dir, 'control.sock');
    const run = runCli([
      `127.0.0.1:${vm.spice.port}`,
      '--share',
      `docs=${docs}`,
      '--share',
      `music=${music}:ro`,
      '--control',
      socketPath,
      '--log-format',
      'json',
    ]);
    runs.push(run);
    await until(run, '"kind":"sharing-started"');
    const shares = [
      { name: 'docs', path: docs, readOnly: false },
      { name: 'music', path: music, readOnly: true },
    ];
    const started = run
      .stdout()
      .split('\n')
      .find((line) => line.includes('"kind":"sharing-started"'));
    expect(JSON.parse(started ?? '{}')).toMatchObject({ share: { shares } });
    const [status] = await ask(socketPath, [{ command: 'status' }]);
    expect(status).toMatchObject({ ok: true, status: { shared: { shares } } });
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    // The JSON log says how the run ended, as it does for a failure.
    const last = run.stdout().trim().split('\n').pop();
    expect(JSON.parse(last ?? '{}')).toMatchObject({ kind: 'stopped', signal: 'SIGTERM', exitCode: 0 });
  });

  it('takes commands typed at a terminal', async () => {
    vm = await startQemu();
    const other = join(dir, 'other');
    mkdirSync(other);
    // `script` gives the CLI a pseudo-terminal as stdin and stdout, like an interactive shell.
    const line = [process.execPath, BIN, `127.0.0.1:${vm.spice.port}`, '--share-dir', dir]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const run = runCli([], {}, ['script', ['-qfec', line, '/dev/null']]);
    runs.push(run);
    // `status` answers what is shared now: ask once the share is applied, not merely once the channel is up.
    await until(run, `spice-webdav: sharing ${dir}`);
    run.child.stdin?.write('status\n');
    await until(run, /channel: webdav channel up/);
    await until(run, `shared:  ${dir}`);
    run.child.stdin?.write(`share ${other} read-only\n`);
    await until(run, `sharing ${other} (read-only)`);
    run.child.stdin?.write('stop\n');
    await until(run, 'sharing stopped');
    // Each outcome once: the log line, not also an echo of the reply.
    expect(run.output().split(`sharing ${other} (read-only)`)).toHaveLength(2);
    expect(run.output().split('sharing stopped')).toHaveLength(2);
    run.child.stdin?.write('frobnicate\n');
    await until(run, 'unknown command "frobnicate"');
    run.child.kill('SIGTERM');
    await run.exited;
  });
});
