import { rmSync } from 'node:fs';

/**
 * Every QEMU this process started, so an interrupted run (Ctrl-C, a test runner killing its worker, an
 * uncaught error) leaves no emulator or temp dir behind. Entries leave when stop() finishes.
 */
interface Tracked {
  pid: number;
  tempDir: string;
}

const tracked = new Map<number, Tracked>();
let hooksInstalled = false;

function killEverything(): void {
  for (const { pid, tempDir } of tracked.values()) {
    try {
      process.kill(pid, 'SIGKILL');
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
  // Only re-raise when nobody else handles the signal, so the default behaviour (exit) still happens.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killEverything);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function trackQemu(pid: number, tempDir: string): void {
  installHooks();
  tracked.set(pid, { pid, tempDir });
}

export function untrackQemu(pid: number): void {
  tracked.delete(pid);
}
