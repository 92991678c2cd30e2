// Our client's bulk-data path without QEMU: the bench's client (shareFolder, bundled, as the bench runs it) against
// bench/fake-spice-peer.ts, GETs of a sparse file and PUTs, measured as the bench measures (CPU seconds and
// context switches of the client process from /proc, peak RSS). The guest and QEMU are out of the picture, so
// the figures are the client's own cost per byte, much less blurred by the machine's load.
//
// npm run build && node dist/bench/hotpath.js [--mib 256] [--rounds 4] [--only get,put] [--rate MBps]
//   [--flags "..."] [--env "NAME=VALUE ..."] (default: bin/spice-webdav's, from its shebang) [--unbundled] [--jit]
//   [--jit-names] [--gc] [--pace-ms N] [--cli]
// --cli runs bin/spice-webdav (what users run: yargs and the CLI's event log on top of the library) in place of
// the bench's library client.
// --only fresh runs 200 GETs of a tiny file, each on a connection of its own closed once answered (what the
// bench's time-to-first-byte workload does 5 times), --pace-ms apart, and reports the cost per request.
// --only small runs a small-files upload as rclone sends it (MKCOL, PUT of 4 KiB, PROPFIND per file; 1,000 files,
// 4 keep-alive connections), its requests at least --pace-ms apart (rclone: 10), and reports the cost per request.
// Round 1 of each kind is a fresh process's first transfer (the bench's cold rows); the later rounds are warm.
// --jit also runs the client with V8's --trace-opt --trace-deopt and counts, per transfer, the functions V8
// finished optimizing and the deoptimizations (a function optimized, thrown away and optimized again per round
// is a deopt loop). --jit-names (implies --jit) also prints the names of the functions optimized per transfer,
// each with how many times (what to go after when a warm round still compiles). --gc runs the client with
// V8's --trace-gc and prints, per transfer, its scavenges and mark-compacts with their summed pause times.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnvironment, cliNodeFlags, environmentOfAssignments } from './cli-node-flags';
import { ClientProcess, nodePlatformThreadCount, nodeThreadKind, type ResourceUse } from './client-process';
import { OUR_CLI, OUR_CLIENT } from './client-specs';
import { startFakeSpicePeer, type FakeSpicePeer, type Transfer } from './fake-spice-peer';
import { makeTransferFile } from './transfer-file';

const MiB = 1024 * 1024;

/**
 * Context switches (voluntary, and involuntary as "(preempted)") summed per thread kind: main, V8's threads,
 * libuv's pool, told apart as client-process.ts does (`nodeThreadKind`): which threads wake.
 */
function threadSwitches(pid: number, platformThreads: number): Map<string, number> {
  const tasks = readdirSync(`/proc/${pid}/task`).map(Number);
  const kinds = nodeThreadKind(pid, tasks, platformThreads);
  const byKind = new Map<string, number>();
  for (const task of tasks) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    for (const match of status.matchAll(/^(non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) {
      const key = `${kinds.get(task) ?? 'pool'}${match[1] === undefined ? '' : ' (preempted)'}`;
      byKind.set(key, (byKind.get(key) ?? 0) + Number(match[2]));
    }
  }
  return byKind;
}

/** Context switches per unit (MiB, request) by thread, leaving out those that round to none. */
function switchShares(before: Map<string, number>, after: Map<string, number>, units: number): string {
  return [...after]
    .map(([name, count]): [string, string] => [name, ((count - (before.get(name) ?? 0)) / units).toFixed(1)])
    .filter(([, share]) => share !== '0.0')
    .map(([name, share]) => `${name} ${share}`)
    .join(', ');
}

/**
 * CPU-s per GiB of the main thread, the whole process, V8's platform threads (optimizing compiler, concurrent GC)
 * and libuv's pool (client-process.ts tells the threads apart): where the client's CPU goes, which a V8 profile
 * of the main thread alone does not show.
 */
function threadShares(use: ResourceUse, mib: number): string {
  const perGiB = (seconds: number) => ((seconds * 1024) / mib).toFixed(2);
  const helpers = use.helperThreads ?? { v8CpuSeconds: 0, poolCpuSeconds: 0 };
  return [
    `main ${perGiB(use.mainThreadCpuSeconds)}`,
    `all ${perGiB(use.cpuSeconds)}`,
    `v8 ${perGiB(helpers.v8CpuSeconds)}`,
    `pool ${perGiB(helpers.poolCpuSeconds)}`,
  ].join(', ');
}

interface HotpathOptions {
  mib: number;
  rounds: number;
  only: readonly string[];
  nodeFlags: readonly string[];
  /** The client's environment on top of ours (default: what bin/spice-webdav's shebang sets). */
  env: Record<string, string>;
  /** The guest's pace in MB/s (0: as fast as the client goes). */
  rate: number;
  /** Run the compiler's per-module output instead of the bundle. */
  unbundled: boolean;
  /** Run bin/spice-webdav (what users run) instead of the bench's library client. */
  cli: boolean;
  /** Count V8's optimizations and deoptimizations per transfer. */
  jit: boolean;
  /** Print the names of the functions optimized per transfer. */
  jitNames: boolean;
  gc: boolean;
  /** The small-files workload starts its requests at least this far apart, as rclone does (0: no pause). */
  paceMs: number;
}

function parseOptions(argv: readonly string[]): HotpathOptions {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  return {
    mib: Number(value('--mib') ?? '256'),
    rounds: Number(value('--rounds') ?? '4'),
    only: (value('--only') ?? 'get,put').split(','),
    rate: Number(value('--rate') ?? '0'),
    nodeFlags:
      value('--flags')
        ?.split(' ')
        .filter((flag) => flag !== '') ?? cliNodeFlags(),
    env: environmentOption(value('--env')),
    unbundled: argv.includes('--unbundled'),
    cli: argv.includes('--cli'),
    jit: argv.includes('--jit') || argv.includes('--jit-names'),
    jitNames: argv.includes('--jit-names'),
    gc: argv.includes('--gc'),
    paceMs: Number(value('--pace-ms') ?? '0'),
  };
}

/** `--env "NAME=VALUE ..."` replaces the CLI's environment (`--env ""`: none of it). */
function environmentOption(option: string | undefined): Record<string, string> {
  return option === undefined ? cliEnvironment() : environmentOfAssignments(option);
}

/** The client script and its arguments: the library's bench client (HOST PORT DIR), or the CLI's own. */
function clientArguments(options: HotpathOptions, port: number, dir: string): string[] {
  if (options.cli) return [OUR_CLI, '--direct', `127.0.0.1:${port}`, '--share-dir', dir];
  const script = options.unbundled ? join(__dirname, 'our-client.js') : OUR_CLIENT;
  return [script, '127.0.0.1', String(port), dir];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-hotpath-'));
  const bytes = options.mib * MiB;
  makeTransferFile(join(dir, 'big.bin'), bytes);
  const peer = await startFakeSpicePeer(options.rate * 1e6);
  const platformThreads = nodePlatformThreadCount(options.nodeFlags);
  const client = new ClientProcess({
    name: 'ours',
    command: process.execPath,
    args: [
      ...options.nodeFlags,
      ...(options.jit ? ['--trace-opt', '--trace-deopt'] : []),
      ...(options.gc ? ['--trace-gc'] : []),
      ...clientArguments(options, peer.port, dir),
    ],
    env: options.env,
    nodePlatformThreads: platformThreads,
  });
  const switches = (): Map<string, number> => threadSwitches(client.pid, platformThreads);
  const optimized = client.countOutputLines(/^\[completed optimizing /);
  const deoptimized = client.countOutputLines(/^\[bailout \(kind: deopt/);
  const optimizedLines = client.collectOutputLines(/^\[completed optimizing /);
  const gcLines = client.collectOutputLines(/^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: (Scavenge|Mark-Compact)/);
  /** What --jit, --jit-names and --gc print about the transfer run since `markTraces()`. */
  const markTraces = () => {
    const mark = {
      optimized: optimized(),
      deoptimized: deoptimized(),
      names: optimizedLines.length,
      gc: gcLines.length,
    };
    return (): string[] =>
      [
        ...(options.jit
          ? [`optimized ${optimized() - mark.optimized}, deopts ${deoptimized() - mark.deoptimized}`]
          : []),
        ...(options.jitNames ? [`optimized: ${functionNames(optimizedLines.slice(mark.names))}`] : []),
        ...(options.gc ? [`gc: ${gcSummary(gcLines.slice(mark.gc))}`] : []),
      ].map((line) => `       ${line}`);
  };
  try {
    // The engine is made once the channel is up; until then the guest gets 503s.
    writeFileSync(join(dir, 'ready.txt'), 'ready');
    while ((await peer.transfer({ kind: 'get', path: '/ready.txt' })) === 503);
    console.log(
      `client pid ${client.pid}: ${Object.entries(options.env)
        .map(([name, value]) => `${name}=${value} `)
        .join('')}node ${options.nodeFlags.join(' ')}, ${options.mib} MiB per transfer`,
    );
    console.log(
      'round  kind  MB/s    CPU-s/GiB  switches/MiB  faults/MiB  peak RSS MiB  CPU-s/GiB by thread',
    );
    for (let round = 1; round <= options.rounds; round++) {
      for (const kind of options.only) {
        const traces = markTraces();
        if (kind === 'small') {
          await smallFilesRound(peer, client, switches, round, options.paceMs);
          for (const line of traces()) console.log(line);
          continue;
        }
        if (kind === 'fresh') {
          await freshConnectionsRound(peer, client, switches, options.paceMs);
          for (const line of traces()) console.log(line);
          continue;
        }
        const transfer: Transfer =
          kind === 'get' ? { kind, path: '/big.bin' } : { kind: 'put', path: '/upload.bin', bytes };
        const switchesBefore = switches();
        const endMeasure = client.beginMeasure();
        const started = process.hrtime.bigint();
        const status = await peer.transfer(transfer);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const use = endMeasure();
        const threads = threadShares(use, options.mib);
        const switchesByThread = switchShares(switchesBefore, switches(), options.mib);
        if (status >= 300) throw new Error(`${kind} answered ${status}: ${client.recentOutput}`);
        console.log(
          [
            String(round).padEnd(6),
            kind.padEnd(5),
            (bytes / 1e6 / seconds).toFixed(1).padEnd(7),
            ((use.cpuSeconds * 1024) / options.mib).toFixed(2).padEnd(10),
            (use.contextSwitches / options.mib).toFixed(1).padEnd(13),
            (use.minorFaults / options.mib).toFixed(0).padEnd(11),
            (use.peakRssBytes / MiB).toFixed(0).padEnd(13),
            threads,
          ].join(' '),
        );
        console.log(`       switches/MiB by thread: ${switchesByThread}`);
        for (const line of traces()) console.log(line);
      }
    }
  } finally {
    await client.stop();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const SMALL_FILES = 1000;
const SMALL_FOLDERS = 20;
const SMALL_FILE_BYTES = 4096;
const SMALL_CONNECTIONS = 4;

/**
 * What rclone sends to upload a tree of small files (docs/performance.md, "Many small files"): per file a MKCOL
 * of its folder (405 but for the first), the PUT and a PROPFIND Depth 0, on 4 keep-alive connections at once,
 * each request started as soon as its connection's previous one is answered, and no sooner than `paceMs` after
 * the last one started on any connection. Reports our client's cost per request.
 */
async function smallFilesRound(
  peer: FakeSpicePeer,
  client: ClientProcess,
  switches: () => Map<string, number>,
  round: number,
  paceMs: number,
): Promise<void> {
  // One pacer for all connections: rclone's WebDAV backend starts any two requests at least 10 ms apart.
  let lastStart = 0;
  const paced = async <T>(request: () => Promise<T>): Promise<T> => {
    const now = performance.now();
    const start = Math.max(now, lastStart + paceMs);
    lastStart = start;
    if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
    return request();
  };
  const switchesBefore = switches();
  const endMeasure = client.beginMeasure();
  const started = process.hrtime.bigint();
  let next = 0;
  const connection = async (): Promise<void> => {
    const id = peer.keepAliveClient();
    for (let file = next++; file < SMALL_FILES; file = next++) {
      const folder = `/r${round}-d${file % SMALL_FOLDERS}`;
      const path = `${folder}/f${file}.bin`;
      const statuses = [
        await paced(() => peer.transfer({ kind: 'mkcol', path: `${folder}/` }, id)),
        await paced(() => peer.transfer({ kind: 'put', path, bytes: SMALL_FILE_BYTES }, id)),
        await paced(() => peer.transfer({ kind: 'propfind', path }, id)),
      ];
      if (statuses[1] >= 300 || statuses[2] !== 207 || (statuses[0] !== 201 && statuses[0] !== 405))
        throw new Error(`small files: ${statuses.join(' ')} for ${path}: ${client.recentOutput}`);
    }
  };
  await Promise.all(Array.from({ length: SMALL_CONNECTIONS }, connection));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const use = endMeasure();
  const requests = SMALL_FILES * 3;
  console.log(
    [
      String(round).padEnd(6),
      'small',
      `${(requests / seconds).toFixed(0)} requests/s, ${costPerRequest(use, requests)},`,
      `peak RSS ${(use.peakRssBytes / MiB).toFixed(0)} MiB`,
    ].join(' '),
  );
  console.log(`       switches per request by thread: ${switchShares(switchesBefore, switches(), requests)}`);
}

/** "CPU µs per request N (main, v8, pool), switches per request N" over `requests` requests. */
function costPerRequest(use: ResourceUse, requests: number): string {
  const perRequest = (cpuSeconds: number) => ((cpuSeconds * 1e6) / requests).toFixed(0);
  const helpers = use.helperThreads ?? { v8CpuSeconds: 0, poolCpuSeconds: 0 };
  return [
    `CPU µs per request ${perRequest(use.cpuSeconds)} (main ${perRequest(use.mainThreadCpuSeconds)},`,
    `v8 ${perRequest(helpers.v8CpuSeconds)}, pool ${perRequest(helpers.poolCpuSeconds)}),`,
    `switches per request ${(use.contextSwitches / requests).toFixed(1)}`,
  ].join(' ');
}

const FRESH_REQUESTS = 200;

/**
 * What the bench's time-to-first-byte workload does, many times: a GET of a tiny file on a connection of its
 * own (as each `curl` in the guest opens), closed once answered, the next one `paceMs` later. Reports our
 * client's cost per request and the round trip as the guest would see it, without QEMU and the guest.
 */
async function freshConnectionsRound(
  peer: FakeSpicePeer,
  client: ClientProcess,
  switches: () => Map<string, number>,
  paceMs: number,
): Promise<void> {
  const switchesBefore = switches();
  const endMeasure = client.beginMeasure();
  const trips: number[] = [];
  for (let i = 0; i < FRESH_REQUESTS; i++) {
    if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    const id = peer.keepAliveClient();
    const started = performance.now();
    const status = await peer.transfer({ kind: 'get', path: '/ready.txt' }, id);
    trips.push(performance.now() - started);
    await peer.closeClient(id);
    if (status !== 200) throw new Error(`fresh GET answered ${status}: ${client.recentOutput}`);
  }
  const use = endMeasure();
  trips.sort((a, b) => a - b);
  const at = (q: number) => (trips[Math.floor(q * (trips.length - 1))] ?? 0).toFixed(2);
  console.log(
    [
      'fresh',
      `round trip ms median ${at(0.5)}, p90 ${at(0.9)}, min ${at(0)}, max ${at(1)};`,
      costPerRequest(use, FRESH_REQUESTS),
    ].join(' '),
  );
  console.log(
    `       switches per request by thread: ${switchShares(switchesBefore, switches(), FRESH_REQUESTS)}`,
  );
}

/** Count and summed pause of each kind of collection, from --trace-gc's lines ("... ms: Scavenge 4.1 (5.0) -> 3.2 (6.0) MB, 0.8 / 0.0 ms ..."). */
function gcSummary(lines: readonly string[]): string {
  const kinds = new Map<string, { count: number; pauseMs: number }>();
  for (const line of lines) {
    const kind = /ms: (Scavenge|Mark-Compact)/.exec(line)?.[1] ?? '?';
    const pause = Number(/MB, ([\d.]+) \//.exec(line)?.[1] ?? '0');
    const entry = kinds.get(kind) ?? { count: 0, pauseMs: 0 };
    kinds.set(kind, { count: entry.count + 1, pauseMs: entry.pauseMs + pause });
  }
  if (kinds.size === 0) return 'none';
  return [...kinds]
    .map(([kind, { count, pauseMs }]) => `${kind} ${count} (${pauseMs.toFixed(1)} ms)`)
    .join(', ');
}

/** `name xN` per function V8 finished optimizing, from --trace-opt's lines, most often first. */
function functionNames(lines: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const found = /<JSFunction ([^\s>]*)/.exec(line)?.[1] ?? '?';
    const name = found === '' || found.startsWith('(') ? '(anonymous)' : found;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => (count > 1 ? `${name} x${count}` : name))
    .join(', ');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
