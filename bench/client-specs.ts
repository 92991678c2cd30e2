// The two clients the benchmarks compare, as processes to start against a SPICE port, and how to tell that one
// serves the guest: shared by run.ts (the side-by-side bench) and turnaround.ts (where a small request's time goes).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunningQemu } from '../src/edge/qemu/launcher';
import { cliEnvironment, cliNodeFlags } from './cli-node-flags';
import { nodePlatformThreadCount, type ClientProcess, type ClientSpec } from './client-process';
import { GUEST_URL } from './workloads';

/** The repository's root (this file runs from dist/bench/). */
export const REPO = resolve(__dirname, '..', '..');

/** The Node/V8 flags bin/spice-webdav runs with, read from its shebang: measure what users run. */
export const OUR_NODE_FLAGS = cliNodeFlags();
/** The environment its shebang sets too (glibc's allocator tunables). */
export const OUR_ENV = cliEnvironment();
/** bench/our-client.ts bundled as the CLI and the library are (scripts/bundle.ts), so it loads what users load. */
export const OUR_CLIENT = join(__dirname, '..', 'bundle', 'bench-client.js');
/** What users run (`--cli`): the bench then measures it in place of OUR_CLIENT. */
export const OUR_CLI = join(REPO, 'bin', 'spice-webdav');

/** BENCH_PROFILE_DIR=DIR: a V8 CPU profile of our client per run, for finding where its CPU goes. */
export function profileArgs(): string[] {
  const dir = process.env['BENCH_PROFILE_DIR'];
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Our library client (bench/our-client.ts) sharing `dir` with the SPICE server on 127.0.0.1:`port`. */
export function ourLibraryClient(
  name: string,
  port: number,
  dir: string,
  env: Record<string, string> = {},
): ClientSpec {
  return {
    name,
    command: process.execPath,
    args: [...OUR_NODE_FLAGS, ...profileArgs(), OUR_CLIENT, '127.0.0.1', String(port), dir],
    env: { ...OUR_ENV, ...env },
    nodePlatformThreads: nodePlatformThreadCount(OUR_NODE_FLAGS),
  };
}

/**
 * `ours` with more Node/V8 flags, after the CLI's own: V8 takes the last of two flags of the same name, so a
 * candidate such as another --interrupt-budget replaces the CLI's instead of being overridden by it.
 */
export function withNodeFlags(ours: ClientSpec, name: string, flags: readonly string[]): ClientSpec {
  const cliFlags = ours.args.slice(0, OUR_NODE_FLAGS.length);
  return {
    ...ours,
    name,
    args: [...cliFlags, ...flags, ...ours.args.slice(OUR_NODE_FLAGS.length)],
    nodePlatformThreads: nodePlatformThreadCount([...OUR_NODE_FLAGS, ...flags]),
  };
}

/**
 * `ours` running another script in place of OUR_CLIENT or OUR_CLI (another build's bundle or bin/spice-webdav,
 * the unbundled output).
 */
export function withClientScript(ours: ClientSpec, name: string, script: string): ClientSpec {
  const replaced = (arg: string) => (arg === OUR_CLIENT || arg === OUR_CLI ? script : arg);
  return { ...ours, name, args: ours.args.map(replaced) };
}

/**
 * `ours` run from a copy of an older build (`--baseline PATH`, which must exist): its bench-client.js, or with
 * `--cli` its bin/spice-webdav (beside that copy's dist/bundle/cli.js and a node_modules).
 */
export function fromBaseline(ours: ClientSpec, name: string, path: string): ClientSpec {
  const script = resolve(path);
  if (!existsSync(script)) throw new Error(`--baseline: no such file ${script}`);
  return withClientScript(ours, name, script);
}

/** spice-gtk with phodav (bench/reference-client.py) sharing `dir` with the SPICE server on `port`. */
export function referenceClient(name: string, port: number, dir: string): ClientSpec {
  return {
    name,
    command: '/usr/bin/python3',
    args: [join(REPO, 'bench', 'reference-client.py'), '127.0.0.1', String(port), dir],
  };
}

/**
 * The OPTIONS every client that mounts the share sends first (davfs2, gvfs, Windows), sent once a client
 * serves, so the workloads meet it in the state a mount leaves it in (ours: webdav-server asked, once).
 */
export async function sendMountOptions(qemu: RunningQemu): Promise<void> {
  const r = await qemu.guestExec(`curl -s -m 10 -o /dev/null -w '%{http_code}' -X OPTIONS ${GUEST_URL}/`, {
    timeoutMs: 20_000,
  });
  if (r.stdout.trim() !== '200') throw new Error(`OPTIONS after start-up: ${r.stdout.trim() || r.stderr}`);
}

/** Waits until `client` answers a HEAD of tiny.txt in the guest; resolves with the seconds that took. */
export async function waitUntilServing(qemu: RunningQemu, client: ClientProcess): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (!client.alive) throw new Error(`${client.spec.name} exited:\n${client.recentOutput}`);
    const r = await qemu.guestExec(`curl -s -I -m 2 -o /dev/null -w '%{http_code}' ${GUEST_URL}/tiny.txt`, {
      timeoutMs: 10_000,
    });
    if (r.code === 0 && r.stdout.trim() === '200') return (Date.now() - started) / 1000;
    if (Date.now() - started > 60_000) {
      throw new Error(`${client.spec.name} did not serve the guest within 60 s:\n${client.recentOutput}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}
