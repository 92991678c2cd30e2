// The Node/V8 flags users run the CLI with are the ones the bench measures: both come from bin/spice-webdav's
// shebang (bench/cli-node-flags.ts). The flags must be ones this Node accepts (a misspelt V8 flag makes `node`
// refuse to start, so the installed CLI would not run at all).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cliEnvironment,
  cliNodeFlags,
  environmentOfAssignments,
  launchOfShebang,
  nodeFlagsOfShebang,
} from '../../../bench/cli-node-flags';

const ROOT = join(__dirname, '..', '..', '..');

describe("bin/spice-webdav's Node flags and environment", () => {
  it('are read from its shebang line', () => {
    expect(nodeFlagsOfShebang('#!/usr/bin/env -S node --a=1 --b')).toEqual(['--a=1', '--b']);
    expect(nodeFlagsOfShebang('#!/usr/bin/env -S node')).toEqual([]);
    expect(() => nodeFlagsOfShebang("'use strict';")).toThrow(/not a "#!\/usr\/bin\/env -S .* line/);
    const firstLine = readFileSync(join(ROOT, 'bin', 'spice-webdav'), 'utf8').split('\n')[0] ?? '';
    expect(cliNodeFlags()).toEqual(firstLine.split(' node ')[1]?.split(' '));
  });

  it('come with the environment the shebang sets', () => {
    expect(launchOfShebang('#!/usr/bin/env -S A=1:b=2 B_2=x node --c')).toEqual({
      env: { A: '1:b=2', B_2: 'x' },
      nodeFlags: ['--c'],
    });
    expect(launchOfShebang('#!/usr/bin/env -S node').env).toEqual({});
    expect(() => launchOfShebang('#!/usr/bin/env -S a=1 node')).toThrow(/not a/);
    expect(environmentOfAssignments(' X=a=b  Y= ')).toEqual({ X: 'a=b', Y: '' });
    expect(() => environmentOfAssignments('=x')).toThrow(/not a NAME=VALUE word/);
  });

  it("set glibc's allocator tunables (spec/unit/edge/cli/cli-environment.spec.ts: not for its children)", () => {
    expect(cliEnvironment()).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1' });
  });

  it('hold the memory caps (docs/performance.md, "What bounds each figure")', () => {
    expect(cliNodeFlags()).toEqual(
      expect.arrayContaining(['--max-semi-space-size=1', '--heap-growing-percent=20', '--no-memory-reducer']),
    );
  });

  it('are accepted by this Node', () => {
    const run = spawnSync(process.execPath, [...cliNodeFlags(), '-e', 'process.stdout.write("ran")'], {
      encoding: 'utf8',
      env: { ...process.env, ...cliEnvironment() },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('ran');
  });

  it('are the ones `npm run demo` runs the CLI with', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const env = Object.entries(cliEnvironment()).map(([name, value]) => `${name}=${value}`);
    expect(scripts['demo']).toBe(
      `env ${env.join(' ')} node ${cliNodeFlags().join(' ')} bin/spice-webdav demo`,
    );
  });
});
