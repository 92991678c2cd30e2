// The benchmark report: raw measurements in, a table of medians with their spread (ours, reference, ratio, and
// whether the difference is beyond the noise), CPU per GiB of the client and of QEMU, and the targets out.

import { median } from './workloads';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
export const OURS = 'spice-webdav';
export const REFERENCE = 'spice-gtk';
export const RAW = 'raw-channel';

export interface Measurement {
  client: string;
  workload: string;
  round: number;
  value: number;
  cpuSeconds: number;
  peakRssBytes: number;
  /** The client's context switches (all threads) during the workload. */
  contextSwitches: number;
  /** The client's minor page faults during the workload (absent in reports before session 10). */
  minorFaults?: number;
  /** CPU seconds of the client's main thread alone (absent in reports before session 10). */
  mainThreadCpuSeconds?: number;
  /** Our client only: CPU seconds of V8's threads and of libuv's pool (absent in reports before session 11). */
  helperThreads?: { v8CpuSeconds: number; poolCpuSeconds: number };
  /** QEMU's own CPU seconds (all its threads: vCPUs, main loop, spice-server) during the workload. */
  qemuCpuSeconds: number;
  /** What bounds the figure, where the workload can tell (see WorkloadResult). */
  note?: string;
}

export interface WorkloadInfo {
  id: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  bytes: number;
  topology: string;
  cold: boolean;
}

export interface Report {
  startedAt: string;
  durationSeconds: number;
  quick: boolean;
  rounds: number;
  machine: Record<string, unknown>;
  share: Record<string, unknown>;
  workloads: WorkloadInfo[];
  measurements: Measurement[];
  summary: Record<string, unknown>;
}

interface Spread {
  median: number;
  min: number;
  max: number;
}

interface Medians {
  value: Spread;
  cpuSeconds: Spread;
  qemuCpuSeconds: Spread;
  contextSwitches: number;
  peakRssBytes: number;
  runs: number;
}

function spreadOf(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function mediansOf(report: Report, client: string, workload: string): Medians | undefined {
  const runs = report.measurements.filter((m) => m.client === client && m.workload === workload);
  if (runs.length === 0) return undefined;
  return {
    value: spreadOf(runs.map((m) => m.value)),
    cpuSeconds: spreadOf(runs.map((m) => m.cpuSeconds)),
    qemuCpuSeconds: spreadOf(runs.map((m) => m.qemuCpuSeconds)),
    contextSwitches: median(runs.map((m) => m.contextSwitches)),
    peakRssBytes: Math.max(...runs.map((m) => m.peakRssBytes)),
    runs: runs.length,
  };
}

const fmt = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);

/**
 * Whether two sets of rounds differ beyond the noise: only when their ranges do not overlap. With one or two
 * rounds a side nothing can be told apart from the noise.
 */
export function verdict(
  ours: Spread | undefined,
  ref: Spread | undefined,
  runs: number,
  higherIsBetter: boolean,
): string {
  if (ours === undefined || ref === undefined) return '';
  if (runs < 3) return 'too few rounds';
  if (ours.min <= ref.max && ref.min <= ours.max) return 'within noise';
  const oursAbove = ours.min > ref.max;
  return oursAbove === higherIsBetter ? 'ours better' : 'ours worse';
}

const perGiB = (seconds: number | undefined, bytes: number): number | undefined =>
  seconds === undefined || bytes === 0 ? undefined : seconds / (bytes / GiB);

/** Prints the table and the targets; returns the same as data for the JSON report. */
export function printTable(report: Report): Record<string, unknown> {
  const rows: Record<string, unknown>[] = [];
  const header = [
    'workload'.padEnd(46),
    'unit'.padEnd(5),
    'ours (min–max)'.padStart(20),
    'ref (min–max)'.padStart(20),
    'ratio'.padStart(6),
    'difference'.padStart(15),
    'cpu/GiB ours'.padStart(13),
    'ref'.padStart(6),
    'QEMU/GiB ours'.padStart(14),
    'ref'.padStart(6),
    'RSS ours'.padStart(9),
    'ref'.padStart(5),
  ].join(' ');
  console.log(
    `\nMedians over ${report.rounds} round(s), clients alternating (A B B A); CPU in CPU-s (per GiB for transfers, ` +
      `per workload otherwise), peak RSS in MiB (maximum over the rounds)`,
  );
  console.log(header);
  console.log('-'.repeat(header.length));
  const range = (m: Medians | undefined): string =>
    m === undefined ? '—' : `${fmt(m.value.median)} (${fmt(m.value.min)}–${fmt(m.value.max)})`;
  for (const workload of report.workloads) {
    const ours = mediansOf(report, workload.id === 'raw-get' ? RAW : OURS, workload.id);
    const ref = mediansOf(report, REFERENCE, workload.id);
    const ratio = ours !== undefined && ref !== undefined ? ours.value.median / ref.value.median : undefined;
    const difference = verdict(
      ours?.value,
      ref?.value,
      Math.min(ours?.runs ?? 0, ref?.runs ?? 0),
      workload.higherIsBetter,
    );
    const cpu = (m: Medians | undefined, field: 'cpuSeconds' | 'qemuCpuSeconds'): number | undefined =>
      workload.bytes > 0 ? perGiB(m?.[field].median, workload.bytes) : m?.[field].median;
    rows.push({ workload: workload.id, unit: workload.unit, ours, reference: ref, ratio, difference });
    console.log(
      [
        workload.label.padEnd(46),
        workload.unit.padEnd(5),
        range(ours).padStart(20),
        range(ref).padStart(20),
        fmt(ratio).padStart(6),
        difference.padStart(15),
        fmt(cpu(ours, 'cpuSeconds')).padStart(13),
        fmt(cpu(ref, 'cpuSeconds')).padStart(6),
        fmt(cpu(ours, 'qemuCpuSeconds'), 1).padStart(14),
        fmt(cpu(ref, 'qemuCpuSeconds'), 1).padStart(6),
        fmt(ours === undefined ? undefined : ours.peakRssBytes / MiB, 0).padStart(9),
        fmt(ref === undefined ? undefined : ref.peakRssBytes / MiB, 0).padStart(5),
      ].join(' '),
    );
  }

  const variants = [...new Set(report.measurements.map((m) => m.client))].filter(
    (client) => client !== OURS && client !== REFERENCE && client !== RAW,
  );
  for (const variant of variants) {
    console.log(`\nVariant ${variant} (ours with other settings): median value, CPU s`);
    const startup = mediansOf(report, variant, 'startup');
    const oursStartup = mediansOf(report, OURS, 'startup');
    console.log(
      `  ${'start to first answer in the guest'.padEnd(46)} ${fmt(startup?.value.median).padStart(8)} s     (ours ${fmt(oursStartup?.value.median)})` +
        `  cpu ${fmt(startup?.cpuSeconds.median)} (ours ${fmt(oursStartup?.cpuSeconds.median)})`,
    );
    for (const workload of report.workloads) {
      const v = mediansOf(report, variant, workload.id);
      const ours = mediansOf(report, OURS, workload.id);
      if (v === undefined) continue;
      console.log(
        `  ${workload.label.padEnd(46)} ${fmt(v.value.median).padStart(8)} ${workload.unit.padEnd(5)} (ours ${fmt(ours?.value.median)})` +
          `  cpu ${fmt(v.cpuSeconds.median)} (ours ${fmt(ours?.cpuSeconds.median)})`,
      );
    }
  }

  const targets: Record<string, unknown>[] = [];
  const target = (name: string, met: boolean | undefined, detail: string): void => {
    targets.push({ name, met, detail });
    console.log(`${met === undefined ? '  ?' : met ? ' ok' : 'NOT'}  ${name}: ${detail}`);
  };
  console.log('\nTargets (issue 12)');
  for (const workload of report.workloads.filter((w) => /^(get|put|get4)(-cold)?(@host)?$/.test(w.id))) {
    const ours = mediansOf(report, OURS, workload.id);
    const ref = mediansOf(report, REFERENCE, workload.id);
    if (ours === undefined || ref === undefined) continue;
    const runs = Math.min(ours.runs, ref.runs);
    target(
      `${workload.label} ≥ 1.0 × reference`,
      ours.value.median >= ref.value.median,
      `${fmt(ours.value.median / ref.value.median)} (${fmt(ours.value.median)} vs ${fmt(ref.value.median)} MB/s, ` +
        `${verdict(ours.value, ref.value, runs, true)})`,
    );
    const oursCpu = perGiB(ours.cpuSeconds.median, workload.bytes) ?? NaN;
    const refCpu = perGiB(ref.cpuSeconds.median, workload.bytes) ?? NaN;
    target(
      `${workload.label}: client CPU per GiB ≤ 1.5 × reference`,
      oursCpu <= 1.5 * refCpu,
      `${fmt(oursCpu)} vs ${fmt(refCpu)} CPU-s per GiB (${fmt(oursCpu / refCpu)} ×)`,
    );
    const oursQemu = perGiB(ours.qemuCpuSeconds.median, workload.bytes) ?? NaN;
    const refQemu = perGiB(ref.qemuCpuSeconds.median, workload.bytes) ?? NaN;
    target(
      `${workload.label}: QEMU's CPU per GiB under ours ≤ under the reference`,
      oursQemu <= refQemu,
      `${fmt(oursQemu, 1)} vs ${fmt(refQemu, 1)} CPU-s per GiB (${verdict(ours.qemuCpuSeconds, ref.qemuCpuSeconds, runs, false)})`,
    );
  }
  const get = mediansOf(report, OURS, 'get');
  const raw = mediansOf(report, RAW, 'raw-get');
  if (raw !== undefined) {
    target(
      'GET ≥ 90 % of the raw channel',
      get ? get.value.median >= 0.9 * raw.value.median : undefined,
      `${fmt(get ? (100 * get.value.median) / raw.value.median : undefined, 0)} % (${fmt(get?.value.median)} of ${fmt(raw.value.median)} MB/s)`,
    );
  }
  const oursRss = report.measurements.filter((m) => m.client === OURS && m.workload !== 'startup');
  const worst = oursRss.reduce<Measurement | undefined>(
    (a, m) => (a === undefined || m.peakRssBytes > a.peakRssBytes ? m : a),
    undefined,
  );
  target(
    'peak RSS < 100 MB in every workload (warm-up and PROPFIND turns included)',
    worst === undefined ? undefined : worst.peakRssBytes < 100e6,
    worst === undefined ? '—' : `highest ${fmt(worst.peakRssBytes / 1e6, 0)} MB in ${worst.workload}`,
  );
  const stalled = mediansOf(report, OURS, 'stalled');
  if (stalled !== undefined) {
    target(
      'a stalled guest client costs the others < 10 %',
      stalled.value.median > 90,
      `${fmt(stalled.value.median, 0)} % of the throughput alone`,
    );
  }
  const warmup = mediansOf(report, OURS, 'warmup');
  const warmupRef = mediansOf(report, REFERENCE, 'warmup');
  if (warmup !== undefined) {
    console.log(
      `\nWarm-up of each warm client process (untimed, not in the table): CPU ${fmt(warmup.cpuSeconds.median)} s vs ${fmt(warmupRef?.cpuSeconds.median)} s`,
    );
  }
  const startup = mediansOf(report, OURS, 'startup');
  const startupRef = mediansOf(report, REFERENCE, 'startup');
  console.log(
    `\nClient start to first answer in the guest: ${fmt(startup?.value.median)} s vs ${fmt(startupRef?.value.median)} s;` +
      ` CPU until then ${fmt(startup?.cpuSeconds.median)} s vs ${fmt(startupRef?.cpuSeconds.median)} s`,
  );
  console.log(`Machine: ${JSON.stringify(report.machine)}`);
  return {
    rows,
    targets,
    startup: { ours: startup?.value.median, reference: startupRef?.value.median },
  };
}
