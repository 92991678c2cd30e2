import { rmSync } from 'node:fs';

/**
 * Every QEMU this process started, so an interrupted run (Ctrl-C, a test runner killing its worker, an
 * uncaught error) leaves no emulator or temp dir behind. Entries leave when stop() finishes.
 */
interface Tracked {
  /** Undefined from the temp dir's making until QEMU is spawned. */
  pid: number | undefined;
  tempDir: string;
}

/** By temp dir: tracked from the moment it exists, so a signal before QEMU is spawned still removes it. */
const tracked = new Map<string, Tracked>();
let hooksInstalled = false;

function killEverything(): void {
  for (const { pid, tempDir } of tracked.values()) {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(tempDir, { recursive: true, force: true });
  }
  tracked.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killEverything();
  process.removeListener(signal, onSignal);
  // Only re-raise when nobody else handles the signal, so the default behaviour (exit) still happens. A
  // listener added with `once` has already been removed when this runs: handlers that must finish their own
  // cleanup listen with `on` (run-demo.ts).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killEverything);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

/** A QEMU's temp dir, just made: removed if the process is interrupted before untrackQemu. */
export function trackQemuDir(tempDir: string): void {
  installHooks();
  tracked.set(tempDir, { pid: undefined, tempDir });
}

/** The QEMU spawned for a tracked temp dir: killed if the process is interrupted before untrackQemu. */
export function trackQemu(pid: number, tempDir: string): void {
  installHooks();
  tracked.set(tempDir, { pid, tempDir });
}

export function untrackQemu(tempDir: string): void {
  tracked.delete(tempDir);
}
