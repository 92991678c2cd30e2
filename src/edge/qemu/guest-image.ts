import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { GuestImage } from './qemu-types';

/** guest/build.sh, found from this file in src/ (ts-jest) or dist/src/ (built package). */
function findBuilder(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'guest', 'build.sh');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`guest/build.sh not found above ${__dirname}; is the package's guest/ folder missing?`);
    }
  }
}

function runBuilder(log: (line: string) => void): Promise<GuestImage> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [findBuilder()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const stderrTail: string[] = [];
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        log(line);
        stderrTail.push(line);
        if (stderrTail.length > 30) stderrTail.shift();
      }
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run guest/build.sh with bash: ${error.message}`)),
    );
    child.once('close', (code) => {
      const outputDir = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || outputDir === '') {
        reject(
          new Error(
            `guest/build.sh failed (exit ${code}); it needs apt-get, dpkg, readelf, objcopy, cpio and the Debian bookworm package lists. Last output:\n${stderrTail.join('\n')}`,
          ),
        );
        return;
      }
      resolve({ kernel: join(outputDir, 'vmlinuz'), initrd: join(outputDir, 'initrd.gz') });
    });
  });
}

let building: Promise<GuestImage> | undefined;

/**
 * Builds (or finds in guest/cache/) the test guest. The script is cached by its inputs, so after the first
 * build this takes a fraction of a second; one build per process is shared by all callers.
 */
export function buildGuest(opts: { log?: (line: string) => void } = {}): Promise<GuestImage> {
  building ??= runBuilder(opts.log ?? (() => undefined)).catch((error: unknown) => {
    building = undefined; // let a later call try again
    throw error;
  });
  return building;
}
