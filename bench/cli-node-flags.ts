// The Node/V8 flags and the environment users run our client with: those on bin/spice-webdav's shebang line. The
// bench and its drivers read them from there, so what they measure is what users run, whatever they become.

import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The package root: this file runs compiled from dist/bench, or from bench under ts-jest. */
const ROOT = basename(dirname(__dirname)) === 'dist' ? join(__dirname, '..', '..') : join(__dirname, '..');

/** How bin/spice-webdav starts Node: the environment its shebang sets, and the flags after `node`. */
export interface CliLaunch {
  readonly env: Readonly<Record<string, string>>;
  readonly nodeFlags: readonly string[];
}

const SHEBANG = /^#!\/usr\/bin\/env -S((?: [A-Z_][A-Z0-9_]*=\S+)*) node((?: --\S+)*)\s*$/;

/** The assignments and flags of a `#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS` line. */
export function launchOfShebang(firstLine: string): CliLaunch {
  const match = SHEBANG.exec(firstLine);
  if (match === null)
    throw new Error(`not a "#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS" line: ${firstLine}`);
  return {
    env: environmentOfAssignments(match[1] ?? ''),
    nodeFlags: (match[2] ?? '').split(' ').filter((flag) => flag !== ''),
  };
}

/** `NAME=VALUE` words separated by spaces, as an environment (a value may hold `=`). */
export function environmentOfAssignments(words: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of words.split(' ').filter((word) => word !== '')) {
    const at = assignment.indexOf('=');
    if (at < 1) throw new Error(`not a NAME=VALUE word: ${assignment}`);
    env[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
  return env;
}

/** The flags after `node` on bin/spice-webdav's shebang line. */
export function nodeFlagsOfShebang(firstLine: string): string[] {
  return [...launchOfShebang(firstLine).nodeFlags];
}

function cliLaunch(): CliLaunch {
  const [firstLine = ''] = readFileSync(join(ROOT, 'bin', 'spice-webdav'), 'utf8').split('\n');
  return launchOfShebang(firstLine);
}

/** The flags of bin/spice-webdav's shebang. */
export function cliNodeFlags(): string[] {
  return [...cliLaunch().nodeFlags];
}

/** The environment bin/spice-webdav's shebang sets (glibc's allocator tunables), to start the bench's clients with. */
export function cliEnvironment(): Record<string, string> {
  return { ...cliLaunch().env };
}
