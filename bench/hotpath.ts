// Our client's bulk-data path without QEMU: bench/our-client.js (shareFolder, as the bench runs it) against
// bench/fake-spice-peer.ts, GETs of a sparse file and PUTs, measured as the bench measures (CPU seconds and
// context switches of the client process from /proc, peak RSS). The guest and QEMU are out of the picture, so
// the figures are the client's own cost per byte, much less blurred by the machine's load.
//
// npm run build && node dist/bench/hotpath.js [--mib 256] [--rounds 4] [--only get,put] [--rate MBps]
//   [--flags "--max-semi-space-size=1"]

import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientProcess } from './client-process';
import { startFakeSpicePeer, type Transfer } from './fake-spice-peer';

const MiB = 1024 * 1024;
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds of a process's threads, user and system, for the main thread and the others (libuv's thread pool,
 * V8's compiler and GC helpers): where the client's CPU goes, which a V8 profile of the main thread alone does
 * not show.
 */
function threadCpuSeconds(pid: number): Map<string, number> {
  const byKind = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = task === String(pid) ? 'main' : 'other threads';
    const add = (key: string, ticks: string | undefined): void => {
      byKind.set(key, (byKind.get(key) ?? 0) + Number(ticks) / CLOCK_TICKS_PER_SECOND);
    };
    add(`${kind} user`, fields[11]);
    add(`${kind} sys`, fields[12]);
  }
  return byKind;
}

/**
 * Context switches (voluntary + involuntary) per thread kind, keyed by the thread's name (`node` is the main
 * thread; libuv's pool is `libuv-worker`, V8's helpers `V8 DefaultWorke` and so on): which thread wakes.
 */
function threadSwitches(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    // Node 20 leaves its threads unnamed: they are told apart by their order of creation (thread id).
    const name = task === String(pid) ? 'main' : `+${Number(task) - pid}`;
    for (const match of status.matchAll(/^(non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) {
      const key = `${name}${match[1] === undefined ? '' : ' (preempted)'}`;
      byName.set(key, (byName.get(key) ?? 0) + Number(match[2]));
    }
  }
  return byName;
}

function switchShares(before: Map<string, number>, after: Map<string, number>, mib: number): string {
  return [...after]
    .map(([name, count]): [string, number] => [name, count - (before.get(name) ?? 0)])
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${(count / mib).toFixed(1)}`)
    .join(', ');
}

function threadShares(before: Map<string, number>, after: Map<string, number>, mib: number): string {
  return [...after]
    .map(([kind, seconds]): [string, number] => [kind, seconds - (before.get(kind) ?? 0)])
    .filter(([, seconds]) => seconds > 0)
    .map(([kind, seconds]) => `${kind} ${((seconds * 1024) / mib).toFixed(2)}`)
    .join(', ');
}

interface HotpathOptions {
  mib: number;
  rounds: number;
  only: readonly string[];
  nodeFlags: readonly string[];
  /** The guest's pace in MB/s (0: as fast as the client goes). */
  rate: number;
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
    nodeFlags: (value('--flags') ?? '--max-semi-space-size=1').split(' ').filter((flag) => flag !== ''),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-hotpath-'));
  const bytes = options.mib * MiB;
  writeFileSync(join(dir, 'big.bin'), '');
  truncateSync(join(dir, 'big.bin'), bytes);
  const peer = await startFakeSpicePeer(options.rate * 1e6);
  const client = new ClientProcess({
    name: 'ours',
    command: process.execPath,
    args: [...options.nodeFlags, join(__dirname, 'our-client.js'), '127.0.0.1', String(peer.port), dir],
  });
  try {
    // The engine is made once the channel is up; until then the guest gets 503s.
    writeFileSync(join(dir, 'ready.txt'), 'ready');
    while ((await peer.transfer({ kind: 'get', path: '/ready.txt' })) === 503);
    console.log(
      `client pid ${client.pid}: node ${options.nodeFlags.join(' ')}, ${options.mib} MiB per transfer`,
    );
    console.log('round  kind  MB/s    CPU-s/GiB  switches/MiB  peak RSS MiB  CPU-s/GiB by thread');
    for (let round = 1; round <= options.rounds; round++) {
      for (const kind of options.only) {
        const transfer: Transfer =
          kind === 'get' ? { kind, path: '/big.bin' } : { kind: 'put', path: '/upload.bin', bytes };
        const threadsBefore = threadCpuSeconds(client.pid);
        const switchesBefore = threadSwitches(client.pid);
        const endMeasure = client.beginMeasure();
        const started = process.hrtime.bigint();
        const status = await peer.transfer(transfer);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const use = endMeasure();
        const threads = threadShares(threadsBefore, threadCpuSeconds(client.pid), options.mib);
        const switches = switchShares(switchesBefore, threadSwitches(client.pid), options.mib);
        if (status >= 300) throw new Error(`${kind} answered ${status}: ${client.recentOutput}`);
        console.log(
          [
            String(round).padEnd(6),
            kind.padEnd(5),
            (bytes / 1e6 / seconds).toFixed(1).padEnd(7),
            ((use.cpuSeconds * 1024) / options.mib).toFixed(2).padEnd(10),
            (use.contextSwitches / options.mib).toFixed(1).padEnd(13),
            (use.peakRssBytes / MiB).toFixed(0).padEnd(13),
            threads,
          ].join(' '),
        );
        console.log(`       switches/MiB by thread: ${switches}`);
      }
    }
  } finally {
    await client.stop();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
