// The libvirt project's globalSetup/globalTeardown: make sure a libvirtd (and its virtlogd) answers on
// qemu:///system, starting them only when they do not run, and stop exactly the ones started here, by PID.
// The configuration they need (qemu.conf, the libvirt-qemu user) is .ci/run's job (docs/testing.md).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const SYSTEM_URI = 'qemu:///system';
const DAEMONS = [
  { binary: 'virtlogd', pidFile: '/var/run/virtlogd.pid' },
  { binary: 'libvirtd', pidFile: '/var/run/libvirtd.pid' },
] as const;
/** How many times to ask libvirtd whether it answers after starting it (one virsh call each). */
const READY_TRIES = 100;

interface Started {
  readonly binary: string;
  readonly pid: number;
}
const state = globalThis as typeof globalThis & { spiceWebdavStartedDaemons?: Started[] };

function answers(): boolean {
  return spawnSync('virsh', ['-c', SYSTEM_URI, 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function runningPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return isAlive(pid) ? pid : undefined;
}

export function startDaemons(): void {
  state.spiceWebdavStartedDaemons = [];
  if (answers()) return;
  if (spawnSync('virsh', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'The libvirt specs need libvirt: apt-get install libvirt-daemon libvirt-clients libvirt-daemon-driver-qemu, and the qemu.conf lines of .ci/run.',
    );
  }
  for (const daemon of DAEMONS) {
    if (runningPid(daemon.pidFile) !== undefined) continue;
    execFileSync(daemon.binary, ['-d'], { stdio: 'inherit' });
    const pid = runningPid(daemon.pidFile);
    if (pid !== undefined) state.spiceWebdavStartedDaemons.push({ binary: daemon.binary, pid });
  }
  for (let tries = 0; tries < READY_TRIES; tries++) {
    if (answers()) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`libvirtd does not answer on ${SYSTEM_URI}; see /var/log/libvirt/libvirtd.log`);
}

export function stopDaemons(): void {
  // libvirtd first: it talks to virtlogd while it shuts down.
  for (const daemon of (state.spiceWebdavStartedDaemons ?? []).reverse()) {
    try {
      process.kill(daemon.pid, 'SIGTERM');
    } catch {
      continue; // already gone
    }
    // Wait for it to go (bounded by a count of checks).
    for (let tries = 0; tries < 200 && isAlive(daemon.pid); tries++) spawnSync('sleep', ['0.05']);
  }
  state.spiceWebdavStartedDaemons = [];
}

/** Running, and not a zombie: a daemonized process whose reaper (PID 1 in a container) may not reap at once. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
