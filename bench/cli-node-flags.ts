// The Node/V8 flags users run our client with: those on bin/spice-webdav's shebang line. The bench and its
// drivers read them from there, so what they measure is what users run, whatever the flags become.

import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The package root: this file runs compiled from dist/bench, or from bench under ts-jest. */
const ROOT = basename(dirname(__dirname)) === 'dist' ? join(__dirname, '..', '..') : join(__dirname, '..');

/** The flags after `node` on a `#!/usr/bin/env -S node FLAGS` line. */
export function nodeFlagsOfShebang(firstLine: string): string[] {
  const match = /^#!\/usr\/bin\/env -S node((?: --[^\s]+)*)\s*$/.exec(firstLine);
  if (match === null) throw new Error(`not a "#!/usr/bin/env -S node FLAGS" line: ${firstLine}`);
  return (match[1] ?? '').split(' ').filter((flag) => flag !== '');
}

/** The flags of bin/spice-webdav's shebang. */
export function cliNodeFlags(): string[] {
  const [firstLine = ''] = readFileSync(join(ROOT, 'bin', 'spice-webdav'), 'utf8').split('\n');
  return nodeFlagsOfShebang(firstLine);
}
