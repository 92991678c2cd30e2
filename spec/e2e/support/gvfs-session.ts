// GNOME's own WebDAV client, as GNOME Files uses it: gvfsd on a private D-Bus session bus, driven with `gio`.
// Everything runs in one new session (setsid) under dbus-run-session, so stop() ends the bus, gvfsd, its
// backends and anything the bus activated, and can find and end any of them left over, by id. No FUSE mount
// (gvfsd --no-fuse, GVFS_DISABLE_FUSE for an activated gvfsd), no volume monitors (nothing to mount here).

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GioResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GvfsSession {
  /** Runs `gio ARGS` against this session's gvfsd, with `input` on its stdin; never rejects. */
  gio(args: readonly string[], input?: string | Buffer): Promise<GioResult>;
  /** Ends every process of the session and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

/** One gio call may cross the whole guest path several times; a hang guard, not a speed assertion. */
const GIO_TIMEOUT_MS = 60_000;

export async function startGvfs(): Promise<GvfsSession> {
  const base = mkdtempSync(join(tmpdir(), 'spice-webdav-gvfs-'));
  const runtime = join(base, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: base,
    XDG_RUNTIME_DIR: runtime,
    LANG: 'C.UTF-8',
    GVFS_DISABLE_FUSE: '1',
    GVFS_REMOTE_VOLUME_MONITOR_IGNORE: '1',
    GIO_USE_VOLUME_MONITOR: 'unix',
  };
  const daemon = spawn(
    'dbus-run-session',
    ['--', 'sh', '-c', 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec /usr/libexec/gvfsd --no-fuse'],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await endSession(daemon);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    const address = await firstLine(daemon);
    const sessionEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: address };
    // Waits (bounded) until gvfsd owns its name; gdbus wait does not activate it.
    const waited = await run(
      'gdbus',
      ['wait', '--session', '--timeout', '30', 'org.gtk.vfs.Daemon'],
      sessionEnv,
    );
    if (waited.code !== 0) throw new Error(`gvfsd never came up: ${waited.stderr}`);
    return { gio: (args, input) => run('gio', args, sessionEnv, input), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4096)));
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline !== -1) resolve(text.slice(0, newline).trim());
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dbus-run-session exited (${code}): ${errors}`)));
  });
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string | Buffer,
): Promise<GioResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      { env, timeout: GIO_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/** SIGTERM to the session's process group, wait for dbus-run-session, then SIGKILL any member left, by id. */
async function endSession(daemon: ChildProcess): Promise<void> {
  const sessionId = daemon.pid;
  if (sessionId === undefined) return;
  const exited =
    daemon.exitCode !== null || daemon.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  signalGroup(sessionId, 'SIGTERM');
  await Promise.race([exited, deadline(10_000)]);
  for (const pid of membersOf(sessionId)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  daemon.stdout?.destroy();
  daemon.stderr?.destroy();
}

function signalGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch {
    // the group is already gone
  }
}

/** The processes still in the session we started (setsid made its id the dbus-run-session pid). */
function membersOf(sessionId: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '-s', String(sessionId)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return []; // ps exits 1 when no process matches
  }
}

/** A bound on waiting for an exit, so a stuck process cannot hang the spec's cleanup. */
function deadline(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
