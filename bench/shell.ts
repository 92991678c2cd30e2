// Where a workload's HTTP client runs: curl inside the guest (straight to spice-webdavd), or curl on the host
// through the guest's network relay (QEMU user-net forward → socat in the guest → spice-webdavd), the path a
// host program reaching the share over the VM's network takes. Both end in the same SPICE client.

import { execFile } from 'node:child_process';
import type { RunningQemu } from '../src/edge/qemu/launcher';

export type Topology = 'guest' | 'host';

export interface Shell {
  readonly topology: Topology;
  /** Base URL of spice-webdavd as this shell's curl reaches it. */
  readonly base: string;
  /** Runs a shell command where the curl runs; resolves with its trimmed stdout, rejects on a non-zero exit. */
  run(command: string): Promise<string>;
}

const TIMEOUT_MS = 1_200_000;

export function guestShell(qemu: RunningQemu): Shell {
  return {
    topology: 'guest',
    base: 'http://127.0.0.1:9843',
    run: async (command) => {
      const result = await qemu.guestExec(command, { timeoutMs: TIMEOUT_MS });
      if (result.code !== 0) {
        throw new Error(
          `guest command failed (${result.code}): ${command}\n${result.stdout}${result.stderr}`,
        );
      }
      return result.stdout.trim();
    },
  };
}

export function hostShell(forwardPort: number): Shell {
  return {
    topology: 'host',
    base: `http://127.0.0.1:${forwardPort}`,
    run: (command) =>
      new Promise((resolve, reject) => {
        execFile(
          'sh',
          ['-c', command],
          { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
          (error, stdout, stderr) => {
            if (error !== null) reject(new Error(`host command failed: ${command}\n${stdout}${stderr}`));
            else resolve(stdout.trim());
          },
        );
      }),
  };
}
