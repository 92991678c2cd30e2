// bin/spice-webdav starts Node with glibc's allocator tunables (its shebang: `env -S GLIBC_TUNABLES=… node …`),
// and the programs it starts get the environment they were given, not the tunables. The program here is a
// stand-in virsh (SPICE_WEBDAV_VIRSH) that writes down what it sees, then fails, so the CLI exits.
// Runs the built CLI (bin/spice-webdav needs `npm ci` or `npm run build`, like the qemu CLI specs).

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnvironment } from '../../../../bench/cli-node-flags';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'spice-webdav');

// What the stand-in sees in its own environment, and the entries of its parent's (the CLI's) that name the
// tunables: /proc/PID/environ is what the process was started with.
const FAKE_VIRSH = `#!/bin/sh
{
  echo "own=\${GLIBC_TUNABLES-unset}"
  tr '\\0' '\\n' < /proc/$PPID/environ | grep '^GLIBC_TUNABLES=' | sed 's/^/parent=/'
} >> "$FAKE_VIRSH_LOG"
exit 1
`;

describe("the CLI's environment", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-env-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("runs with glibc's tunables and keeps them from the programs it starts", async () => {
    const virsh = join(dir, 'virsh');
    const log = join(dir, 'log');
    writeFileSync(virsh, FAKE_VIRSH);
    chmodSync(virsh, 0o755);
    const environment: NodeJS.ProcessEnv = { ...process.env, SPICE_WEBDAV_VIRSH: virsh, FAKE_VIRSH_LOG: log };
    delete environment.GLIBC_TUNABLES;

    const stderr = await new Promise<string>((resolve) => {
      execFile(
        BIN,
        ['-c', 'qemu:///system', 'no-such-domain', '--share-dir', dir],
        { env: environment },
        (_e, _o, err) => resolve(err),
      );
    });

    expect(stderr).toMatch(/virsh .* failed/);
    const seen = readFileSync(log, 'utf8').split('\n');
    expect(seen).toContain('own=unset');
    // glibc may rewrite the variable in place as it reads it, so only its start is certain.
    const tunables = cliEnvironment().GLIBC_TUNABLES ?? '';
    expect(seen.some((line) => line.startsWith(`parent=GLIBC_TUNABLES=${tunables.split(':')[0]}`))).toBe(
      true,
    );
  });
});
