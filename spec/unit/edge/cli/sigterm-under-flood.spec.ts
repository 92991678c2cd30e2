// Issue 17: SIGTERM ends the CLI whatever the server does, here a server that floods PINGs and never reads.
// Runs the built CLI (bin/spice-webdav needs `npm ci` or `npm run build`, like the qemu CLI specs).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pingFlood, startFakeSpiceServer, type FakeSpiceServer } from '../spice/support/fake-spice-server';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'spice-webdav');
/** PINGs per write: 18 KiB. */
const BATCH = 1000;
/** Send SIGTERM once this much flood was written: the client read (and answered) tens of thousands of PINGs. */
const FLOODED_BYTES = 1024 * 1024;

/** Writes PING batches for as long as the socket takes them, never reading; reports bytes written. */
function floodForever(socket: net.Socket, onWritten: (total: number) => void): () => void {
  let stopped = false;
  let total = 0;
  let nextId = 1;
  const pump = () => {
    while (!stopped && !socket.destroyed) {
      const batch = pingFlood(nextId, BATCH);
      nextId += BATCH;
      total += batch.length;
      const more = socket.write(batch);
      onWritten(total);
      if (!more) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return () => (stopped = true);
}

describe('the CLI against a server that floods PINGs and never reads', () => {
  let server: FakeSpiceServer | undefined;
  let child: ChildProcess | undefined;
  let share: string | undefined;
  const stops: (() => void)[] = [];

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    await server?.close();
    server = undefined;
    if (share !== undefined) rmSync(share, { recursive: true, force: true });
    share = undefined;
  });

  it('exits on SIGTERM, with status 0', async () => {
    let flooded: () => void = () => undefined;
    const floodedEnough = new Promise<void>((resolve) => (flooded = resolve));
    server = await startFakeSpiceServer(() => ({
      onLinked: (socket) => {
        stops.push(floodForever(socket, (total) => total >= FLOODED_BYTES && flooded()));
      },
    }));
    share = mkdtempSync(join(tmpdir(), 'spice-webdav-flood-'));
    const cli = spawn(
      process.execPath,
      [BIN, `127.0.0.1:${server.port}`, '--share-dir', share, '--log-format', 'json'],
      { env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = cli;
    let stderr = '';
    cli.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const early = await Promise.race([floodedEnough.then(() => undefined), exited]);
    // Nothing but the warning CI's root gets (the CLI is run as root there).
    const said = stderr.replace(/^spice-webdav: warning: running as root[^\n]*\n/m, '');
    expect({ early, stderr: said }).toEqual({ early: undefined, stderr: '' });
    cli.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 20_000);
});
