// What a client costs while a share sits unused (issue 12: measure as users meet it; a share may stay open
// for hours on a laptop). Per client, in turn on one test guest: the client links and serves, the guest sends
// a mount's OPTIONS and one GET, then nothing. Two stretches are measured: the first seconds after that
// activity, and a later stretch once the process has settled. For each, the client's CPU (all threads, from
// /proc/PID/task/*/schedstat, nanoseconds), its wake-ups (context switches of all threads) and QEMU's CPU, per
// second. Rounds alternate the clients (A B, B A, ...), each a fresh process.
//   npm run build && node dist/bench/idle.js [--rounds 2] [--after 10] [--settle 40] [--seconds 20]
// Needs spice-gtk's Python bindings for the reference (as the bench; without them, ours only).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest, startQemu, type RunningQemu } from '../src/edge/qemu/launcher';
import {
  ClientProcess,
  processContextSwitches,
  processCpuSeconds,
  threadRunNanoseconds,
  type ClientSpec,
} from './client-process';
import { ourLibraryClient, referenceClient, sendMountOptions, waitUntilServing } from './client-specs';
import { OURS, REFERENCE } from './report';
import { GUEST_URL, median } from './workloads';

interface Options {
  readonly rounds: number;
  /** Seconds measured right after the activity. */
  readonly after: number;
  /** Seconds from the activity to the settled stretch. */
  readonly settle: number;
  /** Seconds of the settled stretch. */
  readonly seconds: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    const parsed = at >= 0 ? Number(argv[at + 1]) : fallback;
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} takes a number above 0`);
    return parsed;
  };
  const options = {
    rounds: value('--rounds', 2),
    after: value('--after', 10),
    settle: value('--settle', 40),
    seconds: value('--seconds', 20),
  };
  if (options.settle < options.after) throw new Error('--settle must be at least --after');
  return options;
}

type Stretch = 'after activity' | 'settled';

/** What one client did over one stretch, per second. */
interface Sample {
  readonly client: string;
  readonly stretch: Stretch;
  readonly clientCpuMsPerSecond: number;
  readonly wakeUpsPerSecond: number;
  readonly qemuCpuMsPerSecond: number;
}

const sleep = (seconds: number) => new Promise<void>((done) => setTimeout(done, seconds * 1000));

const totalRunNanoseconds = (pid: number): number =>
  [...threadRunNanoseconds(pid).values()].reduce((sum, ran) => sum + ran, 0);

/** Measures `seconds` of a client doing whatever it does unasked. */
async function measureStretch(
  qemu: RunningQemu,
  client: ClientProcess,
  stretch: Stretch,
  seconds: number,
): Promise<Sample> {
  const ran0 = totalRunNanoseconds(client.pid);
  const switches0 = processContextSwitches(client.pid);
  const qemu0 = processCpuSeconds(qemu.pid);
  const started = process.hrtime.bigint();
  await sleep(seconds);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    client: client.spec.name,
    stretch,
    clientCpuMsPerSecond: (totalRunNanoseconds(client.pid) - ran0) / 1e6 / elapsed,
    wakeUpsPerSecond: (processContextSwitches(client.pid) - switches0) / elapsed,
    qemuCpuMsPerSecond: ((processCpuSeconds(qemu.pid) - qemu0) * 1000) / elapsed,
  };
}

function report(samples: readonly Sample[]): void {
  console.log(
    `\n${'stretch'.padEnd(16)} ${'client'.padEnd(14)} ${'client CPU ms/s (min–max)'.padEnd(28)} ` +
      `${'wake-ups/s (min–max)'.padEnd(24)} QEMU CPU ms/s`,
  );
  const cell = (values: number[], digits: number): string =>
    `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
  for (const stretch of ['after activity', 'settled'] as const) {
    for (const client of [...new Set(samples.map((s) => s.client))]) {
      const mine = samples.filter((s) => s.client === client && s.stretch === stretch);
      if (mine.length === 0) continue;
      console.log(
        `${stretch.padEnd(16)} ${client.padEnd(14)} ` +
          `${cell(
            mine.map((s) => s.clientCpuMsPerSecond),
            2,
          ).padEnd(28)} ${cell(
            mine.map((s) => s.wakeUpsPerSecond),
            1,
          ).padEnd(24)} ${cell(
            mine.map((s) => s.qemuCpuMsPerSecond),
            0,
          )}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const share = mkdtempSync(join(tmpdir(), 'spice-webdav-idle-'));
  writeFileSync(join(share, 'tiny.txt'), '01234567890123456789');
  let qemu: RunningQemu | undefined;
  const samples: Sample[] = [];
  try {
    qemu = await startQemu({ guest: await buildGuest() });
    const specs: ClientSpec[] = [
      ourLibraryClient(OURS, qemu.spice.port, share),
      referenceClient(REFERENCE, qemu.spice.port, share),
    ];
    for (let round = 1; round <= options.rounds; round++) {
      for (const spec of round % 2 === 1 ? specs : [...specs].reverse()) {
        const client = new ClientProcess(spec);
        try {
          await waitUntilServing(qemu, client);
          await sendMountOptions(qemu);
          const got = await qemu.guestExec(`curl -s -o /dev/null -w '%{http_code}' ${GUEST_URL}/tiny.txt`, {
            timeoutMs: 20_000,
          });
          if (got.stdout.trim() !== '200') throw new Error(`${spec.name}: GET answered ${got.stdout}`);
          samples.push(await measureStretch(qemu, client, 'after activity', options.after));
          await sleep(options.settle - options.after);
          samples.push(await measureStretch(qemu, client, 'settled', options.seconds));
          for (const sample of samples.slice(-2))
            console.log(
              `round ${round} ${spec.name} ${sample.stretch}: ${sample.clientCpuMsPerSecond.toFixed(2)} ms/s, ` +
                `${sample.wakeUpsPerSecond.toFixed(1)} wake-ups/s`,
            );
        } finally {
          await client.stop();
        }
      }
    }
    report(samples);
  } finally {
    await qemu?.stop();
    rmSync(share, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
