// Where a small request's time goes, ours against spice-gtk (issue 12: time to first byte, per-request cost).
// Requests one after the other in the test guest, and per client:
// - turnaround: from the TCP segment that brings a request to the client to the first segment of its answer,
//   on the SPICE socket (tcpdump on loopback): the latency the client itself adds, whatever the guest does;
// - the client main thread's time on a CPU and waiting for one, and how often it was scheduled
//   (/proc/PID/schedstat), and QEMU's CPU, per request;
// - curl's time to first byte in the guest.
// Modes: `fresh` (a curl per GET of 20 bytes, each on a connection of its own: the bench's ttfb), `keep-alive`
// (one curl, GETs of 4 KiB on one connection, --rate apart) and `put` (one curl, PUTs of 4 KiB on one
// connection: rclone's upload). Rounds alternate the clients (A B, B A, ...), each a fresh process.
//   npm run build && node dist/bench/turnaround.js [--requests 30] [--rounds 2] [--rate 20] [--only fresh,put]
// Needs tcpdump (as root the bench installs it with apt-get) and, for the reference, spice-gtk's Python bindings.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest, startQemu, type RunningQemu } from '../src/edge/qemu/launcher';
import { ClientProcess, processCpuSeconds, type ClientSpec } from './client-process';
import { ourLibraryClient, referenceClient, waitUntilServing } from './client-specs';
import { succeeds, withDebianPackages } from './debian-packages';
import { OURS, REFERENCE } from './report';
import { GUEST_URL, median, percentile } from './workloads';

type Mode = 'fresh' | 'keep-alive' | 'put';
const MODES: readonly Mode[] = ['fresh', 'keep-alive', 'put'];

interface Options {
  readonly requests: number;
  readonly rounds: number;
  /** Requests per second on the keep-alive connection (curl --rate). */
  readonly rate: number;
  readonly modes: readonly Mode[];
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const modes = (value('--only') ?? MODES.join(',')).split(',');
  const unknown = modes.filter((mode) => !(MODES as readonly string[]).includes(mode));
  if (unknown.length > 0) throw new Error(`--only: unknown mode ${unknown.join(', ')} (${MODES.join(', ')})`);
  return {
    requests: Number(value('--requests') ?? '30'),
    rounds: Number(value('--rounds') ?? '2'),
    rate: Number(value('--rate') ?? '20'),
    modes: modes as Mode[],
  };
}

/** What one client did for one mode's requests. */
interface Sample {
  readonly client: string;
  readonly mode: Mode;
  readonly turnaroundsMs: readonly number[];
  readonly firstByteMs: readonly number[];
  readonly mainOnCpuMs: number;
  readonly mainWaitMs: number;
  readonly mainSlices: number;
  readonly qemuCpuMs: number;
  readonly requests: number;
}

/** The guest command that makes a mode's requests; curl prints one line per request: its time to first byte. */
function guestCommand(mode: Mode, options: Options): string {
  const format = `-w '%{http_code} %{time_starttransfer}\\n'`;
  switch (mode) {
    case 'fresh':
      // A process per request, as the bench's ttfb workload: a new connection, and a guest busy starting curl.
      return `for i in $(seq ${options.requests}); do curl -s -o /dev/null ${format} ${GUEST_URL}/tiny.txt; done`;
    case 'keep-alive':
      return `curl -s --rate ${options.rate}/s ${format} -o /dev/null '${GUEST_URL}/small[1-${options.requests}].bin'`;
    case 'put':
      // No Expect: 100-continue (rclone sends none): phodav answers one with 200 at once and never reads the body.
      return `head -c 4096 /dev/zero > /tmp/put.bin && curl -s --rate ${options.rate}/s ${format} -o /dev/null -H 'Expect:' -T /tmp/put.bin '${GUEST_URL}/up[1-${options.requests}].bin'`;
  }
}

/** The main thread's [ns on a CPU, ns waiting for one, times scheduled] (the process's first task). */
function schedstat(pid: number): [number, number, number] {
  const [run = 0, wait = 0, slices = 0] = readFileSync(`/proc/${pid}/schedstat`, 'utf8')
    .trim()
    .split(' ')
    .map(Number);
  return [run, wait, slices];
}

/**
 * tcpdump on loopback for the SPICE port, once it says it listens. --immediate-mode: packets are handed over
 * as they come, not in blocks (one still held when tcpdump is stopped would be lost).
 */
async function startCapture(port: number, file: string): Promise<ChildProcess> {
  const capture = spawn(
    'tcpdump',
    ['-i', 'lo', '-n', '--immediate-mode', '-U', '-w', file, `tcp port ${port}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((listening, failed) => {
    let said = '';
    capture.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString('utf8');
      if (said.includes('listening on')) listening();
    });
    capture.once('exit', (code) => failed(new Error(`tcpdump exited (${code}): ${said}`)));
  });
  return capture;
}

async function stopCapture(capture: ChildProcess): Promise<void> {
  if (capture.exitCode !== null) return;
  const exited = new Promise((done) => capture.once('exit', done));
  capture.kill('SIGINT'); // tcpdump flushes its file on SIGINT
  await exited;
}

/**
 * Turnarounds in a capture: for each connection, from the first segment the server sends after the client's
 * last answer (a request, at least `minRequestBytes`) to the client's next segment with more than a SPICE
 * header's worth of payload (an answer; acknowledgements and pongs are smaller).
 */
export function turnaroundsOf(tcpdumpText: string, serverPort: number, minRequestBytes: number): number[] {
  const waiting = new Map<string, number>();
  const turnarounds: number[] = [];
  for (const line of tcpdumpText.split('\n')) {
    const match = /^(\d+\.\d+) IP ([\d.]+)\.(\d+) > ([\d.]+)\.(\d+):.* length (\d+)/.exec(line);
    if (match === null) continue;
    const [, time, , fromPort, , toPort, length] = match;
    const fromServer = Number(fromPort) === serverPort;
    const connection = fromServer ? `${toPort}` : `${fromPort}`;
    const at = Number(time) * 1000;
    if (fromServer) {
      if (Number(length) >= minRequestBytes && !waiting.has(connection)) waiting.set(connection, at);
    } else if (Number(length) > 24) {
      const since = waiting.get(connection);
      if (since !== undefined) turnarounds.push(at - since);
      waiting.delete(connection);
    }
  }
  return turnarounds;
}

async function measureMode(
  qemu: RunningQemu,
  client: ClientProcess,
  mode: Mode,
  options: Options,
  workDir: string,
): Promise<Sample> {
  // Warm-up: the process's first requests of this kind are not what the figure is about.
  await qemu.guestExec(guestCommand(mode, { ...options, requests: 3 }), { timeoutMs: 60_000 });
  const file = join(workDir, `${client.spec.name}-${mode}.pcap`);
  const capture = await startCapture(qemu.spice.port, file);
  let output: string;
  const sched0 = schedstat(client.pid);
  const qemu0 = processCpuSeconds(qemu.pid);
  try {
    const result = await qemu.guestExec(guestCommand(mode, options), { timeoutMs: 600_000 });
    if (result.code !== 0) throw new Error(`${mode}: ${result.stderr}`);
    output = result.stdout;
  } finally {
    await stopCapture(capture);
  }
  const sched1 = schedstat(client.pid);
  const qemuCpuMs = (processCpuSeconds(qemu.pid) - qemu0) * 1000;
  const lines = output.trim().split('\n');
  const bad = lines.filter((line) => !/^20[014] /.test(line));
  if (bad.length > 0)
    throw new Error(`${client.spec.name} ${mode}: ${bad.length} answers not 2xx: ${bad[0]}`);
  const text = execFileSync('tcpdump', ['-r', file, '-n', '-tt'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return {
    client: client.spec.name,
    mode,
    // A GET's message is about 100 bytes; a PUT's head or body more.
    turnaroundsMs: turnaroundsOf(text, qemu.spice.port, 60),
    firstByteMs: lines.map((line) => Number(line.split(' ')[1]) * 1000),
    mainOnCpuMs: (sched1[0] - sched0[0]) / 1e6,
    mainWaitMs: (sched1[1] - sched0[1]) / 1e6,
    mainSlices: sched1[2] - sched0[2],
    qemuCpuMs,
    requests: lines.length,
  };
}

function report(samples: readonly Sample[]): void {
  console.log(
    '\nmode        client        turnaround ms median (p90)  curl first byte ms  main thread ms/request: on CPU, waiting, slices  QEMU CPU ms/request',
  );
  for (const mode of MODES) {
    for (const client of [OURS, REFERENCE]) {
      const mine = samples.filter((s) => s.mode === mode && s.client === client);
      if (mine.length === 0) continue;
      const turnarounds = mine.flatMap((s) => s.turnaroundsMs);
      const perRequest = (pick: (s: Sample) => number): string =>
        median(mine.map((s) => pick(s) / s.requests)).toFixed(2);
      console.log(
        [
          mode.padEnd(11),
          client.padEnd(13),
          `${median(turnarounds).toFixed(2)} (${percentile(turnarounds, 0.9).toFixed(2)}), ${turnarounds.length} seen`.padEnd(
            27,
          ),
          median(mine.flatMap((s) => s.firstByteMs))
            .toFixed(2)
            .padEnd(19),
          `${perRequest((s) => s.mainOnCpuMs)}, ${perRequest((s) => s.mainWaitMs)}, ${perRequest((s) => s.mainSlices)}`.padEnd(
            48,
          ),
          perRequest((s) => s.qemuCpuMs),
        ].join(' '),
      );
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (
    !withDebianPackages(() => succeeds('tcpdump', ['--version']), ['tcpdump'], 'no turnaround to measure')
  ) {
    process.exit(1);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'spice-webdav-turnaround-'));
  const share = join(workDir, 'share');
  mkdirSync(share);
  writeFileSync(join(share, 'tiny.txt'), '01234567890123456789');
  for (let i = 1; i <= options.requests; i++)
    writeFileSync(join(share, `small${i}.bin`), Buffer.alloc(4096, 1));
  let qemu: RunningQemu | undefined;
  const samples: Sample[] = [];
  try {
    qemu = await startQemu({ guest: await buildGuest() });
    const port = qemu.spice.port;
    const specs: ClientSpec[] = [
      ourLibraryClient(OURS, port, share),
      referenceClient(REFERENCE, port, share),
    ];
    for (let round = 1; round <= options.rounds; round++) {
      for (const spec of round % 2 === 1 ? specs : [...specs].reverse()) {
        const client = new ClientProcess(spec);
        try {
          await waitUntilServing(qemu, client);
          for (const mode of options.modes) {
            const sample = await measureMode(qemu, client, mode, options, workDir);
            samples.push(sample);
            console.log(
              `round ${round} ${spec.name} ${mode}: turnaround median ${median(sample.turnaroundsMs).toFixed(2)} ms`,
            );
          }
        } finally {
          await client.stop();
        }
      }
    }
    report(samples);
  } finally {
    await qemu?.stop();
    // BENCH_KEEP_CAPTURES=1: the captures stay, for a look with tcpdump -r.
    if (process.env['BENCH_KEEP_CAPTURES'] === '1') console.log(`captures kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
