// Installing what a benchmark needs from Debian where it is missing, so a fresh machine runs it whole.

import { execFileSync } from 'node:child_process';

/**
 * Whether `probe` succeeds, after installing Debian's `packages` where it did not and we are root (so a fresh
 * machine runs the whole bench, as CI runs the tests; apt-get's package lists are refreshed if the first try
 * fails); otherwise says what to install and what is left out (`without`).
 */
export function withDebianPackages(
  probe: () => boolean,
  packages: readonly string[],
  without: string,
): boolean {
  if (probe()) return true;
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (process.getuid?.() === 0) {
    console.log(`Installing ${packages.join(', ')} (${command})...`);
    const apt = (args: readonly string[]): boolean =>
      succeeds('apt-get', args, { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
    const install = ['install', '-y', ...packages];
    if (!apt(install) && apt(['update'])) apt(install);
    if (probe()) return true;
  }
  console.log(`Debian's ${packages.join(' and ')} not available (as root: ${command}): ${without}.`);
  return false;
}

/** Whether the command runs and exits with 0. */
export function succeeds(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', env });
    return true;
  } catch {
    return false;
  }
}
