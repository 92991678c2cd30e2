// The benchmark report: raw measurements in, a table of medians (ours, reference, ratio) and the targets out.

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
  /** What bounds the figure, where the workload can tell (see WorkloadResult). */
  note?: string;
}

export interface WorkloadInfo {
  id: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  bytes: number;
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

interface Medians {
  value: number;
  cpuSeconds: number;
  peakRssBytes: number;
  runs: number;
}

function mediansOf(report: Report, client: string, workload: string): Medians | undefined {
  const runs = report.measurements.filter((m) => m.client === client && m.workload === workload);
  if (runs.length === 0) return undefined;
  return {
    value: median(runs.map((m) => m.value)),
    cpuSeconds: median(runs.map((m) => m.cpuSeconds)),
    peakRssBytes: Math.max(...runs.map((m) => m.peakRssBytes)),
    runs: runs.length,
  };
}

const fmt = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);

/** Prints the table and the targets; returns the same as data for the JSON report. */
export function printTable(report: Report): Record<string, unknown> {
  const rows: Record<string, unknown>[] = [];
  const header = [
    'workload'.padEnd(44),
    'unit'.padEnd(5),
    'ours'.padStart(8),
    'ref'.padStart(8),
    'ours/ref'.padStart(9),
    'cpu ours'.padStart(9),
    'cpu ref'.padStart(8),
    'RSS ours'.padStart(9),
    'RSS ref'.padStart(8),
  ].join(' ');
  console.log(`\nMedians over ${report.rounds} round(s), alternating clients; CPU in s, peak RSS in MiB`);
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const workload of report.workloads) {
    const ours = mediansOf(report, workload.id === 'raw-get' ? RAW : OURS, workload.id);
    const ref = mediansOf(report, REFERENCE, workload.id);
    const ratio = ours !== undefined && ref !== undefined ? ours.value / ref.value : undefined;
    rows.push({ workload: workload.id, unit: workload.unit, ours, reference: ref, ratio });
    console.log(
      [
        workload.label.padEnd(44),
        workload.unit.padEnd(5),
        fmt(ours?.value).padStart(8),
        fmt(ref?.value).padStart(8),
        fmt(ratio).padStart(9),
        fmt(ours?.cpuSeconds).padStart(9),
        fmt(ref?.cpuSeconds).padStart(8),
        fmt(ours === undefined ? undefined : ours.peakRssBytes / MiB, 0).padStart(9),
        fmt(ref === undefined ? undefined : ref.peakRssBytes / MiB, 0).padStart(8),
      ].join(' '),
    );
  }

  const variants = [...new Set(report.measurements.map((m) => m.client))].filter(
    (client) => client !== OURS && client !== REFERENCE && client !== RAW,
  );
  for (const variant of variants) {
    console.log(`\nVariant ${variant} (ours with other settings): median value, CPU s`);
    for (const workload of report.workloads) {
      const v = mediansOf(report, variant, workload.id);
      const ours = mediansOf(report, OURS, workload.id);
      if (v === undefined) continue;
      console.log(
        `  ${workload.label.padEnd(44)} ${fmt(v.value).padStart(8)} ${workload.unit.padEnd(5)} (ours ${fmt(ours?.value)})` +
          `  cpu ${fmt(v.cpuSeconds)} (ours ${fmt(ours?.cpuSeconds)})`,
      );
    }
  }

  const targets: Record<string, unknown>[] = [];
  const target = (name: string, met: boolean | undefined, detail: string): void => {
    targets.push({ name, met, detail });
    console.log(`${met === undefined ? '  ?' : met ? ' ok' : 'NOT'}  ${name}: ${detail}`);
  };
  console.log('\nTargets (issue 5)');
  for (const id of ['get', 'put']) {
    const ours = mediansOf(report, OURS, id);
    const ref = mediansOf(report, REFERENCE, id);
    target(
      `${id.toUpperCase()} throughput ≥ reference`,
      ours && ref ? ours.value >= ref.value : undefined,
      `${fmt(ours?.value)} vs ${fmt(ref?.value)} MB/s`,
    );
    const bytes = report.workloads.find((w) => w.id === id)?.bytes ?? 0;
    const oursPerGiB = ours ? ours.cpuSeconds / (bytes / GiB) : undefined;
    const refPerGiB = ref ? ref.cpuSeconds / (bytes / GiB) : undefined;
    target(
      `${id.toUpperCase()} client CPU per GiB ≤ 3 × reference`,
      oursPerGiB !== undefined && refPerGiB !== undefined ? oursPerGiB <= 3 * refPerGiB : undefined,
      `${fmt(oursPerGiB)} vs ${fmt(refPerGiB)} CPU s per GiB`,
    );
  }
  const get = mediansOf(report, OURS, 'get');
  const raw = mediansOf(report, RAW, 'raw-get');
  target(
    'GET ≥ 90 % of the raw channel',
    get && raw ? get.value >= 0.9 * raw.value : undefined,
    `${fmt(get && raw ? (100 * get.value) / raw.value : undefined, 0)} % (${fmt(get?.value)} of ${fmt(raw?.value)} MB/s)`,
  );
  const pf = mediansOf(report, OURS, 'propfind10000');
  const pfRef = mediansOf(report, REFERENCE, 'propfind10000');
  target(
    'PROPFIND of 10,000 files faster than the reference',
    pf && pfRef ? pf.value < pfRef.value : undefined,
    `${fmt(pf?.value)} vs ${fmt(pfRef?.value)} s, peak RSS ${fmt(pf ? pf.peakRssBytes / MiB : undefined, 0)} MiB`,
  );
  for (const id of ['get-1g', 'put-1g']) {
    const m = mediansOf(report, OURS, id);
    target(
      `peak RSS under 100 MB during ${id === 'get-1g' ? 'a 1 GiB GET' : 'a 1 GiB PUT'}`,
      m ? m.peakRssBytes < 100e6 : undefined,
      `${fmt(m ? m.peakRssBytes / 1e6 : undefined, 0)} MB (${fmt(m?.value)} MB/s)`,
    );
  }
  const stalled = mediansOf(report, OURS, 'stalled');
  target(
    'a stalled guest client costs the others < 10 %',
    stalled ? stalled.value > 90 : undefined,
    `${fmt(stalled?.value, 0)} % of the throughput alone`,
  );
  const warmup = mediansOf(report, OURS, 'warmup');
  const warmupRef = mediansOf(report, REFERENCE, 'warmup');
  if (warmup !== undefined) {
    console.log(
      `\nWarm-up of each fresh client process (untimed, not in the table): CPU ${fmt(warmup.cpuSeconds)} s vs ${fmt(warmupRef?.cpuSeconds)} s`,
    );
  }
  const startup = mediansOf(report, OURS, 'startup');
  const startupRef = mediansOf(report, REFERENCE, 'startup');
  console.log(
    `\nClient start to first answer in the guest: ${fmt(startup?.value)} s vs ${fmt(startupRef?.value)} s`,
  );
  console.log(`Machine: ${JSON.stringify(report.machine)}`);
  return { rows, targets, startup: { ours: startup?.value, reference: startupRef?.value } };
}
