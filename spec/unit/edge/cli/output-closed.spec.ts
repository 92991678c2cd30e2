// The reader of the CLI's output goes away (`spice-webdav ... --log-format json | head -1`): the first failed
// write was an unhandled EPIPE, a stack trace and exit 1, and the control socket's file stayed behind. Runs the
// built CLI (bin/spice-webdav needs `npm ci` or `npm run build`) against the bench's fake SPICE peer.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startFakeSpicePeer, type FakeSpicePeer } from '../../../../bench/fake-spice-peer';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'spice-webdav');

describe('the CLI whose output reader goes away', () => {
  let peer: FakeSpicePeer | undefined;
  let child: ChildProcess | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    await peer?.close();
    peer = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('stops cleanly: exit 0, the control socket removed, no stack trace', async () => {
    peer = await startFakeSpicePeer();
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-epipe-'));
    const share = join(dir, 'share');
    mkdirSync(share);
    const control = join(dir, 'control.sock');
    child = spawn(
      BIN,
      [
        '--direct',
        `127.0.0.1:${peer.port}`,
        '--share-dir',
        share,
        '--log-format',
        'json',
        '--control',
        control,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    // As `| head -1` does: read the first line, then close the pipe.
    child.stdout?.once('data', () => child?.stdout?.destroy());
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(existsSync(control)).toBe(false);
  });
});
