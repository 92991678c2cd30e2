import { execFile } from 'node:child_process';

import { qemuBinary } from './qemu-binary';
import type { QemuAvailability } from './qemu-types';

/** Output of a command, or null when it could not be run at all. */
function outputOf(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      const notRunnable = error !== null && typeof error.code === 'string'; // ENOENT, EACCES, ...
      resolve(notRunnable ? null : `${stdout}${stderr}`);
    });
  });
}

/** Whether QEMU (with SPICE) can be started here, and if not, what to install. */
export async function checkQemuAvailable(): Promise<QemuAvailability> {
  const binary = qemuBinary();
  if ((await outputOf(binary, ['--version'])) === null) {
    return {
      ok: false,
      missing: [binary],
      hint: `${binary} not found: install it with \`sudo apt-get install qemu-system-x86\` (or set SPICE_WEBDAV_QEMU to its path)`,
    };
  }
  // `-spice help` lists the SPICE options (and exits 1 even then); without SPICE support it lists none.
  // Debian ships SPICE as a loadable module, so a partial install can lack it. password-secret needs QEMU 6.0+.
  const spiceHelp = (await outputOf(binary, ['-spice', 'help'])) ?? '';
  if (!spiceHelp.includes('password-secret')) {
    return {
      ok: false,
      missing: [`${binary} with SPICE (password-secret) support`],
      hint: `${binary} lacks SPICE support or is older than 6.0: install \`qemu-system-x86\` 7.x with \`qemu-system-modules-spice\` (Debian/Ubuntu), or a QEMU built with --enable-spice`,
    };
  }
  return { ok: true };
}
