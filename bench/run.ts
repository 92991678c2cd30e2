// Side-by-side benchmark: spice-webdav against the spice-gtk reference client, through the real test guest.
// Run: npm run build && npm run bench [-- --quick] [-- --rounds N] [-- --only get,put@host] [-- --no-reference]
//   [-- --no-warmup] [-- --no-cold] [-- --topology guest|host] [-- --big-mib N]
//   [-- --no-slow] [-- --slow-mbit 50] [-- --slow-delay-ms 20] [-- --slow-mib N]
// See docs/performance.md for the method and what bounds each figure.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest, startQemu, type RunningQemu } from '../src/edge/qemu/launcher';
import {
  OUR_CLI,
  OUR_ENV,
  OUR_NODE_FLAGS,
  REPO,
  fromBaseline,
  ourLibraryClient,
  referenceClient,
  sendMountOptions,
  waitUntilServing,
  withClientScript,
  withNodeFlags,
} from './client-specs';
import { ClientProcess, processCpuSeconds, type ClientSpec, type ResourceUse } from './client-process';
import { OURS, REFERENCE, printTable, type Measurement, type Report } from './report';
import { succeeds, withDebianPackages } from './debian-packages';
import { makeSmallFileTree, rcloneWorkloads, withRcloneUpload } from './rclone-workloads';
import { guestShell, hostShell, type Shell, type Topology } from './shell';
import { startThrottleProxy } from './throttle-proxy';
import { makeSparseFile, makeTransferFile } from './transfer-file';
import {
  bigTransferWorkloads,
  concurrentGetWorkload,
  guestWorkloads,
  memoryWorkloads,
  rawChannelWorkload,
  rawWarmupWorkload,
  guestTextCommand,
  slowLinkWorkloads,
  warmupWorkload,
  type SlowLinkFiles,
  type ShareLayout,
  type Workload,
  type WorkloadResult,
} from './workloads';

const MiB = 1024 * 1024;

interface Options {
  quick: boolean;
  rounds: number;
  only: string[] | undefined;
  reference: boolean;
  memory: boolean;
  /** Measure bin/spice-webdav instead of bench/our-client (the same library, without the CLI around it). */
  cli: boolean;
  /** --credits N: also measure our client with N credits per client (a candidate credit window). */
  credits: number | undefined;
  /** --node-flags "FLAGS": also measure our client with these Node/V8 flags added (a candidate start-up setting). */
  nodeFlags: string[] | undefined;
  /** --unbundled: also measure our client from the compiler's per-module output (what the bundle saves). */
  unbundled: boolean;
  /** --bare-env: also measure our client without the environment the CLI's shebang sets (what it saves). */
  bareEnv: boolean;
  /**
   * --baseline DIR/bench-client.js: also measure a copy of an older build's bundled client (before/after); with
   * --cli, --baseline COPY/bin/spice-webdav (COPY/dist/bundle/cli.js and COPY/node_modules beside it).
   */
  baseline: string | undefined;
  /** Each warm client process first does an untimed warm-up transfer (--no-warmup: skip it). */
  warmup: boolean;
  /** Also measure GET and PUT as the first transfer of a fresh process (--no-cold: skip them). */
  cold: boolean;
  /** Where curl runs: inside the guest, on the host through the guest's relay, or both (the default). */
  topologies: Topology[];
  /** Size of the big GET/PUT file (--big-mib N); default 256 MiB, 64 MiB with --quick. */
  bigMiB: number;
  /** The slow-link workloads (@slow), through the throttle proxy (--no-slow: skip them). */
  slowLink: SlowLinkOptions | undefined;
}

interface SlowLinkOptions {
  mbitPerSecond: number;
  delayMs: number;
  /** Size of each slow-link file (--slow-mib N); default 64 MiB, 16 MiB with --quick. */
  mib: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const only = value('--only');
  const topology = value('--topology');
  return {
    quick,
    rounds: Number(value('--rounds') ?? (quick ? 1 : 4)),
    only: only === undefined ? undefined : only.split(','),
    reference: !argv.includes('--no-reference'),
    memory: !quick && !argv.includes('--no-memory'),
    cli: argv.includes('--cli'),
    credits: value('--credits') === undefined ? undefined : Number(value('--credits')),
    nodeFlags: value('--node-flags')
      ?.split(' ')
      .filter((flag) => flag !== ''),
    unbundled: argv.includes('--unbundled'),
    bareEnv: argv.includes('--bare-env'),
    baseline: value('--baseline'),
    warmup: !argv.includes('--no-warmup'),
    cold: !argv.includes('--no-cold'),
    topologies: topology === 'guest' || topology === 'host' ? [topology] : ['guest', 'host'],
    bigMiB: Number(value('--big-mib') ?? (quick ? 64 : 256)),
    slowLink: argv.includes('--no-slow')
      ? undefined
      : {
          mbitPerSecond: Number(value('--slow-mbit') ?? 50),
          delayMs: Number(value('--slow-delay-ms') ?? 20),
          mib: Number(value('--slow-mib') ?? (quick ? 16 : 64)),
        },
  };
}

function makeShare(dir: string, quick: boolean, memory: boolean, bigMiB: number): ShareLayout {
  const layout: ShareLayout = {
    bigName: 'big.bin',
    bigBytes: bigMiB * MiB,
    midName: 'mid.bin',
    midBytes: (quick ? 16 : 32) * MiB,
    smallName: 'small.bin',
    smallBytes: (quick ? 4 : 8) * MiB,
    tinyName: 'tiny.txt',
    folders: [
      { name: 'p100', files: 100 },
      { name: 'p2000', files: 2000 },
      { name: 'p10000', files: 10_000 },
    ],
  };
  for (const [name, bytes] of [
    [layout.bigName, layout.bigBytes],
    [layout.midName, layout.midBytes],
    [layout.smallName, layout.smallBytes],
  ] as const) {
    makeTransferFile(join(dir, name), bytes);
  }
  // 1 GiB for the memory workload, not read beforehand: it is read by one client only, to see its peak RSS.
  makeSparseFile(join(dir, 'huge.bin'), memory ? 1024 * MiB : 0);
  writeFileSync(join(dir, layout.tinyName), 'hello from the host\n');
  for (const folder of layout.folders) {
    mkdirSync(join(dir, folder.name));
    for (let i = 0; i < folder.files; i++) {
      writeFileSync(join(dir, folder.name, `file-${String(i).padStart(5, '0')}.txt`), `file ${i}\n`);
    }
  }
  return layout;
}

function referenceAvailable(): boolean {
  const imports =
    "import gi; gi.require_version('SpiceClientGLib', '2.0'); from gi.repository import SpiceClientGLib";
  return withDebianPackages(
    () => succeeds('/usr/bin/python3', ['-c', imports]),
    ['gir1.2-spiceclientglib-2.0', 'python3-gi'],
    'no spice-gtk reference, measuring ours only',
  );
}

/** Where a workload's CPU ran: the main thread, and for a Node client V8's threads and libuv's pool. */
function threadSplit(use: ResourceUse): string {
  const main = `main thread ${use.mainThreadCpuSeconds.toFixed(3)}`;
  const helpers = use.helperThreads;
  return helpers === undefined
    ? main
    : `${main}, V8 ${helpers.v8CpuSeconds.toFixed(3)}, pool ${helpers.poolCpuSeconds.toFixed(3)}`;
}

function clientSpecs(qemu: RunningQemu, dir: string, rawBytes: number, cli: boolean) {
  const port = qemu.spice.port;
  const library = ourLibraryClient(OURS, port, dir);
  const ours: ClientSpec = cli
    ? {
        ...library,
        args: [...OUR_NODE_FLAGS, OUR_CLI, '--direct', `127.0.0.1:${port}`, '--share-dir', dir],
      }
    : library;
  const reference = referenceClient(REFERENCE, port, dir);
  // Always the library client: the raw channel is its rawChannelServer option, which the CLI does not offer.
  const raw = ourLibraryClient('raw-channel', port, dir, {
    SPICE_WEBDAV_BENCH_GENERATED_BYTES: String(rawBytes),
  });
  return { ours, reference, raw };
}

/** Clients alive right now, so an interrupted bench stops them too. */
const running = new Set<ClientProcess>();

/** One client process: started, measured on `workloads` in order (after `warmup` if given), stopped. */
async function measureClient(
  qemu: RunningQemu,
  shells: Record<Topology, Shell | undefined>,
  spec: ClientSpec,
  workloads: Workload[],
  round: number,
  dir: string,
  record: (m: Measurement) => void,
  warmup?: Workload,
): Promise<void> {
  const client = new ClientProcess(spec);
  running.add(client);
  try {
    const startup = await waitUntilServing(qemu, client);
    // Start-up: from spawn to the first answer in the guest, and the CPU that took (module loading, linking).
    record({
      client: spec.name,
      workload: 'startup',
      round,
      value: startup,
      cpuSeconds: processCpuSeconds(client.pid),
      peakRssBytes: 0,
      contextSwitches: 0,
      qemuCpuSeconds: 0,
    });
    await sendMountOptions(qemu);
    for (const workload of warmup === undefined ? workloads : [warmup, ...workloads]) {
      const shell = shells[workload.topology];
      if (shell === undefined) throw new Error(`${workload.id}: no ${workload.topology} shell`);
      const qemuCpuBefore = processCpuSeconds(qemu.pid);
      const end = client.beginMeasure();
      let result: number | WorkloadResult;
      let use: ResourceUse;
      let qemuCpuSeconds: number;
      try {
        result = await workload.run({ qemu, shell, client: spec.name, round });
      } finally {
        use = end();
        qemuCpuSeconds = processCpuSeconds(qemu.pid) - qemuCpuBefore;
      }
      const { value, note } = typeof result === 'number' ? { value: result, note: undefined } : result;
      record({
        client: spec.name,
        workload: workload.id,
        round,
        value,
        ...use,
        qemuCpuSeconds,
        ...(note === undefined ? {} : { note }),
      });
      console.log(
        `  ${spec.name.padEnd(13)} ${workload.id.padEnd(18)} ${value.toFixed(3).padStart(10)} ${workload.unit.padEnd(4)}` +
          ` cpu ${use.cpuSeconds.toFixed(2)} s (${threadSplit(use)})  QEMU ${qemuCpuSeconds.toFixed(2)} s  peak RSS ${(use.peakRssBytes / MiB).toFixed(0)} MiB` +
          `  switches ${use.contextSwitches}  faults ${use.minorFaults}`,
      );
      if (note !== undefined) console.log(`    ${note}`);
      for (const name of readdirSync(dir)) {
        if (name.startsWith('up-') || name.startsWith('mem-')) rmSync(join(dir, name), { force: true });
      }
    }
  } finally {
    running.delete(client);
    await client.stop();
    // Let spice-server and the guest daemon see the client go before the next one links.
    await new Promise((done) => setTimeout(done, 1500));
  }
}

/** The slow link's sources: text and random data in the guest (for PUT) and in the share (for GET). */
async function prepareSlowLinkFiles(qemu: RunningQemu, dir: string, mib: number): Promise<SlowLinkFiles> {
  const bytes = mib * MiB;
  const files: SlowLinkFiles = {
    guestText: '/tmp/slow-text.txt',
    guestRandom: '/tmp/slow-random.bin',
    hostText: 'slow-text.txt',
    hostRandom: 'slow-random.bin',
    bytes,
  };
  execFileSync('sh', ['-c', guestTextCommand(join(dir, files.hostText), bytes)]);
  writeFileSync(join(dir, files.hostRandom), randomBytes(bytes));
  const made = await qemu.guestExec(
    `${guestTextCommand(files.guestText, bytes)} && head -c ${bytes} /dev/urandom > ${files.guestRandom}`,
    { timeoutMs: 300_000 },
  );
  if (made.code !== 0) throw new Error(`cannot make the slow-link files in the guest: ${made.stderr}`);
  return files;
}

/**
 * The clients of the slow link, connected through the throttle proxy on `port`: ours with LZ4 asked for (the
 * proxy is on loopback, where 'auto' would not ask), the reference (spice-gtk never asks on webdav), and ours
 * without LZ4 as a variant, which tells what compression itself changes.
 */
function slowLinkSpecs(port: number, dir: string): ClientSpec[] {
  const ours = (name: string, compression: 'on' | 'off'): ClientSpec =>
    ourLibraryClient(name, port, dir, { BENCH_COMPRESSION: compression });
  return [ours(OURS, 'on'), referenceClient(REFERENCE, port, dir), ours(`${OURS}-nolz4`, 'off')];
}

/** One round of the slow link: each client in turn behind a fresh throttle proxy, A B B A as the others. */
async function measureSlowLinkRound(
  qemu: RunningQemu,
  shells: Record<Topology, Shell | undefined>,
  link: SlowLinkOptions,
  workloads: Workload[],
  withReference: boolean,
  round: number,
  dir: string,
  record: (m: Measurement) => void,
): Promise<void> {
  const proxy = await startThrottleProxy({
    targetHost: '127.0.0.1',
    targetPort: qemu.spice.port,
    mbitPerSecond: link.mbitPerSecond,
    delayMs: link.delayMs,
  });
  try {
    const [ours, reference, plain] = slowLinkSpecs(proxy.port, dir);
    if (ours === undefined || reference === undefined || plain === undefined) return;
    const pair = withReference ? (round % 2 === 0 ? [ours, reference] : [reference, ours]) : [ours];
    for (const spec of [...pair, plain])
      await measureClient(qemu, shells, spec, workloads, round, dir, record);
  } finally {
    await proxy.close();
  }
}

function rcloneInstalled(): boolean {
  return withDebianPackages(
    () => succeeds('rclone', ['version']),
    ['rclone'],
    'skipping the many-small-files workloads',
  );
}

function qemuVersion(): string {
  try {
    return execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const benchStart = Date.now();
  const loadAtStart = loadavg();
  const withReference = options.reference && referenceAvailable();
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-bench-'));
  let qemu: RunningQemu | undefined;
  const cleanups: Array<() => void> = [];
  const measurements: Measurement[] = [];
  const record = (m: Measurement): void => {
    measurements.push(m);
  };
  process.once('SIGINT', () => {
    void Promise.all([...[...running].map((client) => client.stop()), qemu?.stop()]).finally(() => {
      rmSync(dir, { recursive: true, force: true });
      for (const cleanup of cleanups) cleanup();
      process.exit(130);
    });
  });
  try {
    console.log('Preparing the share and booting the test guest...');
    const share = makeShare(dir, options.quick, options.memory, options.bigMiB);
    const withHost = options.topologies.includes('host');
    const vm = await startQemu({ guest: await buildGuest(), forwardGuestRelay: withHost });
    qemu = vm;
    const shells: Record<Topology, Shell | undefined> = {
      guest: guestShell(qemu),
      host: withHost && qemu.webdavForwardPort !== undefined ? hostShell(qemu.webdavForwardPort) : undefined,
    };
    const specs = clientSpecs(qemu, dir, share.bigBytes, options.cli);
    const asked = options.only;
    const only = asked === undefined ? undefined : withRcloneUpload(asked);
    if (asked !== undefined && only !== undefined && only.length > asked.length)
      console.log('The later rclone steps work on the tree rclone-up@host uploads: measuring it too.');
    const selected = (w: Workload): boolean => only === undefined || only.includes(w.id);
    const perTopology = options.topologies.flatMap((topology) => [
      ...bigTransferWorkloads(share, topology, false),
      concurrentGetWorkload(share, topology),
    ]);
    const guestOnly = guestWorkloads(share).filter(
      // 20 PROPFINDs in a row cost the reference minutes of 10,000 files: full runs only.
      (w) => !(options.quick && w.id.endsWith('x20')),
    );
    // rclone (host topology): only where it is installed.
    const tree = withHost && rcloneInstalled() ? makeSmallFileTree() : undefined;
    if (tree !== undefined) cleanups.push(tree.remove);
    const smallFiles = tree === undefined ? [] : rcloneWorkloads(tree.dir);
    const workloads = [...perTopology, ...smallFiles, ...guestOnly].filter(selected);
    // Cold: each of these is the first transfer of a fresh client process of its own.
    const coldWorkloads = options.cold
      ? options.topologies.flatMap((topology) => bigTransferWorkloads(share, topology, true)).filter(selected)
      : [];
    const raw = [rawChannelWorkload(share.bigBytes)].filter(selected);
    const slowLink = options.slowLink;
    const slowFiles =
      slowLink === undefined ||
      (options.only !== undefined && !options.only.some((id) => id.endsWith('@slow')))
        ? undefined
        : await prepareSlowLinkFiles(vm, dir, slowLink.mib);
    const slow = slowFiles === undefined ? [] : slowLinkWorkloads(slowFiles).filter(selected);
    const warmup = options.warmup ? warmupWorkload(share) : undefined;
    const rawWarmup = options.warmup ? rawWarmupWorkload(share.bigBytes) : undefined;
    const measureAll = async (spec: ClientSpec, round: number): Promise<void> => {
      for (const cold of coldWorkloads) await measureClient(vm, shells, spec, [cold], round, dir, record);
      if (workloads.length > 0) await measureClient(vm, shells, spec, workloads, round, dir, record, warmup);
    };

    for (let round = 0; round < options.rounds; round++) {
      console.log(`Round ${round + 1} of ${options.rounds} (load average ${loadavg()[0]?.toFixed(2)})`);
      // A B B A: who goes first alternates, so drift over the run (the machine's load) falls on both alike.
      const order = withReference
        ? round % 2 === 0
          ? [specs.ours, specs.reference]
          : [specs.reference, specs.ours]
        : [specs.ours];
      for (const spec of order) await measureAll(spec, round);
      if (options.credits !== undefined) {
        const variant: ClientSpec = {
          ...specs.ours,
          name: `spice-webdav-c${options.credits}`,
          env: { ...OUR_ENV, BENCH_CREDITS_PER_CLIENT: String(options.credits) },
        };
        await measureAll(variant, round);
      }
      if (options.nodeFlags !== undefined) {
        await measureAll(withNodeFlags(specs.ours, 'spice-webdav+flags', options.nodeFlags), round);
      }
      if (options.unbundled) {
        const unbundled = withClientScript(
          specs.ours,
          'spice-webdav-unbundled',
          join(__dirname, 'our-client.js'),
        );
        await measureAll(unbundled, round);
      }
      if (options.baseline !== undefined) {
        await measureAll(fromBaseline(specs.ours, 'spice-webdav-baseline', options.baseline), round);
      }
      if (options.bareEnv) {
        // Each of the shebang's variables set empty, in case the bench itself runs with one of them.
        const env = Object.fromEntries(Object.keys(OUR_ENV).map((name) => [name, '']));
        await measureAll({ ...specs.ours, env, name: 'spice-webdav-bare-env' }, round);
      }
      if (raw.length > 0) await measureClient(qemu, shells, specs.raw, raw, round, dir, record, rawWarmup);
      if (slowLink !== undefined && slow.length > 0) {
        await measureSlowLinkRound(vm, shells, slowLink, slow, withReference, round, dir, record);
      }
    }
    if (options.memory && (options.only === undefined || options.only.includes('memory'))) {
      console.log('Memory: 1 GiB each way through our client');
      await measureClient(qemu, shells, specs.ours, memoryWorkloads('huge.bin', 1024 * MiB), 0, dir, record);
    }

    const report: Report = {
      startedAt: new Date(benchStart).toISOString(),
      durationSeconds: (Date.now() - benchStart) / 1000,
      quick: options.quick,
      rounds: options.rounds,
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg(),
        kernel: release(),
        node: process.version,
        qemu: qemuVersion(),
      },
      share: {
        bigBytes: share.bigBytes,
        midBytes: share.midBytes,
        smallBytes: share.smallBytes,
        folders: share.folders.map((f) => f.files),
      },
      workloads: [...coldWorkloads, ...workloads, ...raw, ...slow].map((w) => ({
        id: w.id,
        label: w.label,
        unit: w.unit,
        higherIsBetter: w.higherIsBetter,
        bytes: w.bytes,
        topology: w.topology,
        cold: w.cold,
      })),
      measurements,
      summary: {},
    };
    report.summary = printTable(report);
    const resultsDir = join(REPO, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = join(
      resultsDir,
      `${report.startedAt.replace(/[:]/g, '-').replace(/\..*$/, '')}${options.quick ? '-quick' : ''}.json`,
    );
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nReport: ${file}`);
  } finally {
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const cleanup of cleanups) cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
