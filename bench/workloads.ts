// The benchmark's workloads. Each runs curl inside the guest or on the host through the guest's relay (shell.ts),
// through spice-webdavd to the SPICE client under test, and returns one figure; the caller measures the
// client's and QEMU's CPU and the client's peak RSS around it.

import type { RunningQemu } from '../src/edge/qemu/launcher';
import type { Shell, Topology } from './shell';

export const GUEST_URL = 'http://127.0.0.1:9843';
const MiB = 1024 * 1024;

/** What a workload runs with: the guest, where its curl runs, and names for its upload files. */
export interface WorkloadContext {
  qemu: RunningQemu;
  shell: Shell;
  client: string;
  round: number;
}

export type Unit = 'MB/s' | 's' | 'ms' | '%';

export interface Workload {
  /** Key in the table and the report. */
  id: string;
  label: string;
  unit: Unit;
  /** Whether a larger figure is better (throughput) or a smaller one (time). */
  higherIsBetter: boolean;
  /** Bytes moved through the client (for CPU per GiB), 0 when not a transfer. */
  bytes: number;
  /** Where its curl runs. */
  topology: Topology;
  /** Measured in a fresh client process (its first transfer) instead of after the warm-up. */
  cold: boolean;
  run(context: WorkloadContext): Promise<number | WorkloadResult>;
}

/** A figure with a note on what bounds it, kept in the report beside the measurement. */
export interface WorkloadResult {
  value: number;
  note: string;
}

export interface ShareLayout {
  bigName: string;
  bigBytes: number;
  midName: string;
  midBytes: number;
  smallName: string;
  smallBytes: number;
  tinyName: string;
  /** Folder name → file count. */
  folders: ReadonlyArray<{ name: string; files: number }>;
}

const LONG = { timeoutMs: 1_200_000 };
const STALL_LIMIT_SECONDS = 60;

/** curl -w output "code size time_total time_starttransfer", checked. */
async function curlTimed(shell: Shell, args: string, expectCode: string, expectSize?: number) {
  const out = await shell.run(
    `curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total} %{time_starttransfer}' ${args}`,
  );
  const [code, size, total, start] = out.split(' ');
  if (code !== expectCode || (expectSize !== undefined && Number(size) !== expectSize)) {
    throw new Error(`curl ${args}: expected ${expectCode} with ${expectSize ?? 'any'} bytes, got "${out}"`);
  }
  return { size: Number(size), seconds: Number(total), firstByteSeconds: Number(start) };
}

/**
 * A PUT of `mib` MiB of zeros streamed from `dd` (chunked), checked; returns MB/s. Without Expect: phodav
 * answers a 100-continue upload with 201 at once and drops the body.
 */
async function putZeros(shell: Shell, mib: number, url: string): Promise<number> {
  const out = await shell.run(
    `dd if=/dev/zero bs=1M count=${mib} 2>/dev/null | curl -s -H 'Expect:' -T - -o /dev/null -w '%{http_code} %{size_upload} %{time_total}' ${url}`,
  );
  const [code, size, total] = out.split(' ');
  if ((code !== '201' && code !== '204') || Number(size) < mib * MiB) {
    throw new Error(`PUT of ${mib} MiB to ${url}: got "${out}"`);
  }
  return (mib * MiB) / Number(total) / 1e6;
}

/**
 * Several GETs at once; combined MB/s over the wall time of the whole batch. From the host they start 0.3 s
 * apart: QEMU's user-net forward listens with a backlog of 1, and simultaneous connects wait for SYN retries.
 */
async function concurrentGets(shell: Shell, name: string, bytes: number, count: number): Promise<number> {
  const stagger = shell.topology === 'host' ? 'sleep 0.3; ' : '';
  const started = Date.now();
  const out = await shell.run(
    `for i in $(seq ${count}); do curl -s -o /dev/null -w '%{size_download}\\n' ${shell.base}/${name} & ${stagger}done; wait`,
  );
  const seconds = (Date.now() - started) / 1000;
  const sizes = out.split('\n').map(Number);
  if (sizes.length !== count || sizes.some((size) => size !== bytes)) {
    throw new Error(`${count} concurrent GETs of ${name}: expected ${count} × ${bytes} bytes, got ${out}`);
  }
  return (count * bytes) / seconds / 1e6;
}

/** The value at fraction `p` of the sorted values (0 for none): p = 0.9 is the 90th percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The id of a workload in a topology and temperature: get, get@host, get-cold, get-cold@host. */
function variantId(base: string, topology: Topology, cold: boolean): string {
  return `${base}${cold ? '-cold' : ''}${topology === 'host' ? '@host' : ''}`;
}

function variantLabel(base: string, topology: Topology, cold: boolean): string {
  return `${base}${cold ? ', cold' : ''}${topology === 'host' ? ', host curl' : ''}`;
}

/** GET and PUT of the big file, from either topology, in a warm process or as a fresh process's first transfer. */
export function bigTransferWorkloads(share: ShareLayout, topology: Topology, cold: boolean): Workload[] {
  const bigMiB = share.bigBytes / MiB;
  return [
    {
      id: variantId('get', topology, cold),
      label: variantLabel(`GET ${bigMiB} MiB`, topology, cold),
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: share.bigBytes,
      topology,
      cold,
      run: async ({ shell }) => {
        const r = await curlTimed(shell, `${shell.base}/${share.bigName}`, '200', share.bigBytes);
        return share.bigBytes / r.seconds / 1e6;
      },
    },
    {
      id: variantId('put', topology, cold),
      label: variantLabel(`PUT ${bigMiB} MiB`, topology, cold),
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: share.bigBytes,
      topology,
      cold,
      run: ({ shell, client, round }) =>
        putZeros(shell, bigMiB, `${shell.base}/up-${client}-${round}-${topology}${cold ? '-cold' : ''}.bin`),
    },
  ];
}

export function concurrentGetWorkload(share: ShareLayout, topology: Topology): Workload {
  return {
    id: variantId('get4', topology, false),
    label: variantLabel(`4 concurrent GETs × ${share.midBytes / MiB} MiB`, topology, false),
    unit: 'MB/s',
    higherIsBetter: true,
    bytes: 4 * share.midBytes,
    topology,
    cold: false,
    run: ({ shell }) => concurrentGets(shell, share.midName, share.midBytes, 4),
  };
}

/** PROPFIND Depth 1 of a folder, `times` in a row; the figure is the median time of one. */
function propfindWorkload(id: string, label: string, folder: string, times: number): Workload {
  return {
    id,
    label,
    unit: 's',
    higherIsBetter: false,
    bytes: 0,
    topology: 'guest',
    cold: false,
    run: async ({ shell }) => {
      const seconds: number[] = [];
      for (let i = 0; i < times; i++) {
        const r = await curlTimed(
          shell,
          `-X PROPFIND -H 'Depth: 1' -H 'Content-Type: application/xml' ${shell.base}/${folder}/`,
          '207',
        );
        seconds.push(r.seconds);
      }
      return median(seconds);
    },
  };
}

/** The warm workloads run from inside the guest (the big GET and PUT are added per topology by the runner). */
export function guestWorkloads(share: ShareLayout): Workload[] {
  return [
    {
      id: 'get16',
      label: `16 concurrent GETs × ${share.smallBytes / MiB} MiB`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: 16 * share.smallBytes,
      topology: 'guest',
      cold: false,
      run: ({ shell }) => concurrentGets(shell, share.smallName, share.smallBytes, 16),
    },
    ...share.folders.map((folder) =>
      propfindWorkload(
        `propfind${folder.files}`,
        `PROPFIND Depth 1, ${folder.files} files`,
        folder.name,
        folder.files >= 10_000 ? 2 : 3,
      ),
    ),
    // A turn of 20 in a row: what a file manager browsing big folders does; the peak RSS is the figure to watch.
    ...share.folders
      .filter((folder) => folder.files >= 2000)
      .map((folder) =>
        propfindWorkload(
          `propfind${folder.files}x20`,
          `20 PROPFINDs of ${folder.files} files (median one)`,
          folder.name,
          20,
        ),
      ),
    {
      id: 'ttfb',
      label: 'time to first byte (small GET)',
      unit: 'ms',
      higherIsBetter: false,
      bytes: 0,
      topology: 'guest',
      cold: false,
      run: async ({ shell }) => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await curlTimed(shell, `${shell.base}/${share.tinyName}`, '200');
          times.push(r.firstByteSeconds * 1000);
        }
        return median(times);
      },
    },
    {
      id: 'stalled',
      label: `GET ${share.midBytes / MiB} MiB beside a stalled client (% of alone)`,
      unit: '%',
      higherIsBetter: true,
      bytes: 2 * share.midBytes,
      topology: 'guest',
      cold: false,
      run: async ({ qemu, shell }) => {
        const alone = await curlTimed(shell, `${shell.base}/${share.midName}`, '200', share.midBytes);
        // A guest client that sends a GET and never reads: curl blocks opening a FIFO nobody reads.
        await shell.run(
          `rm -f /tmp/stall; mkfifo /tmp/stall; (curl -s -o /tmp/stall ${shell.base}/${share.bigName} >/dev/null 2>&1 & echo $! > /tmp/stall.pid); sleep 2`,
        );
        try {
          // Bounded: if the other GET stops too, the figure is what it moved in the time allowed.
          const beside = await qemu.guestExec(
            `curl -s -m ${STALL_LIMIT_SECONDS} -o /dev/null -w '%{size_download} %{time_total}' ${shell.base}/${share.midName}`,
            LONG,
          );
          const [size, total] = beside.stdout.trim().split(' ').map(Number);
          if (size === undefined || total === undefined || !(total > 0)) {
            throw new Error(`GET beside a stalled client: "${beside.stdout}" ${beside.stderr}`);
          }
          return {
            value: (100 * (size / total)) / (share.midBytes / alone.seconds),
            note: await daemonWhileStalled(shell),
          };
        } finally {
          await shell.run('kill $(cat /tmp/stall.pid) 2>/dev/null; rm -f /tmp/stall /tmp/stall.pid; true');
        }
      },
    },
  ];
}

/**
 * Untimed work each warm client process does before it is measured: a GET of the big file and a PUT of a
 * quarter of it. A fresh Node process spends its first few hundred MiB compiling its hot paths (V8's tiers);
 * the warm figures are about the steady state, as for a client that runs for hours (the cold workloads measure
 * the first transfer). Its CPU is recorded as 'warmup'.
 */
export function warmupWorkload(share: ShareLayout): Workload {
  const putMiB = share.bigBytes / MiB / 4;
  return {
    id: 'warmup',
    label: `warm-up: GET ${share.bigBytes / MiB} MiB, PUT ${putMiB} MiB`,
    unit: 's',
    higherIsBetter: false,
    bytes: share.bigBytes + putMiB * MiB,
    topology: 'guest',
    cold: false,
    run: async ({ shell, client }) => {
      const started = Date.now();
      await curlTimed(shell, `${shell.base}/${share.bigName}`, '200', share.bigBytes);
      await putZeros(shell, putMiB, `${shell.base}/up-warmup-${client}.bin`);
      return (Date.now() - started) / 1000;
    },
  };
}

/** A warm-up for the raw channel client: the same generated GET it is measured on. */
export function rawWarmupWorkload(bytes: number): Workload {
  return { ...rawChannelWorkload(bytes), id: 'warmup', label: `warm-up: raw channel GET ${bytes / MiB} MiB` };
}

/**
 * Where the guest's bytes wait while one guest program reads nothing: what spice-webdavd is doing, and the
 * kernel's queues of its guest connections (/proc/net/tcp, port 9843 = 0x2673).
 */
async function daemonWhileStalled(shell: Shell): Promise<string> {
  const out = await shell.run('cat /proc/$(pidof spice-webdavd)/wchan; echo; cat /proc/net/tcp');
  const [wchan = '?', ...lines] = out.split('\n');
  const queues: string[] = [];
  for (const line of lines) {
    const [, local, remote, state, queue] = line.trim().split(/\s+/);
    if (state !== '01' || local === undefined || remote === undefined || queue === undefined) continue;
    const [tx = '0', rx = '0'] = queue.split(':');
    if (local.endsWith(':2673')) queues.push(`daemon side ${(parseInt(tx, 16) / MiB).toFixed(1)} MiB unsent`);
    else if (remote.endsWith(':2673'))
      queues.push(`program side ${(parseInt(rx, 16) / MiB).toFixed(1)} MiB unread`);
  }
  return `spice-webdavd waits in ${wchan}; guest connections: ${queues.join(', ') || 'none open'}`;
}

/** The raw channel: our client in generated-bytes mode, so no file system and no WebDAV engine. */
export function rawChannelWorkload(bytes: number): Workload {
  return {
    id: 'raw-get',
    label: `raw channel GET ${bytes / MiB} MiB (generated bytes)`,
    unit: 'MB/s',
    higherIsBetter: true,
    bytes,
    topology: 'guest',
    cold: false,
    run: async ({ shell }) => {
      const r = await curlTimed(shell, `${shell.base}/generated`, '200', bytes);
      return bytes / r.seconds / 1e6;
    },
  };
}

/** A 1 GiB GET and PUT, only to show that the client's peak RSS does not grow with the file. */
export function memoryWorkloads(name: string, bytes: number): Workload[] {
  return [
    {
      id: 'get-1g',
      label: `GET ${bytes / MiB} MiB (memory)`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes,
      topology: 'guest',
      cold: false,
      run: async ({ shell }) => {
        const r = await curlTimed(shell, `${shell.base}/${name}`, '200', bytes);
        return bytes / r.seconds / 1e6;
      },
    },
    {
      id: 'put-1g',
      label: `PUT ${bytes / MiB} MiB (memory)`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes,
      topology: 'guest',
      cold: false,
      run: ({ shell, client }) => putZeros(shell, bytes / MiB, `${shell.base}/mem-${client}.bin`),
    },
  ];
}

export { median };

/** The files of the slow-link workloads: made once per run, in the guest for PUT and on the host for GET. */
export interface SlowLinkFiles {
  /** Guest paths of the PUT sources. */
  readonly guestText: string;
  readonly guestRandom: string;
  /** Names in the share of the GET sources. */
  readonly hostText: string;
  readonly hostRandom: string;
  readonly bytes: number;
}

/**
 * Source-like text for the slow link (LZ4 compresses it about as much as a source tree: identifiers and
 * numbers vary, the shapes repeat), made by busybox awk in the guest. `lines` of about 100 bytes.
 */
export function guestTextCommand(path: string, bytes: number): string {
  return (
    `awk 'BEGIN { srand(12); split("request response handler buffer channel session frame client server ` +
    `stream offset length payload header status", w, " "); n = 0; i = 0; ` +
    `while (n < ${bytes}) { a = w[int(rand() * 15) + 1]; b = w[int(rand() * 15) + 1]; ` +
    `line = sprintf("  export function %s%d(%s: %s, %sLimit = %d): %s {\\n    return %s.%s(%d, %s);\\n  }\\n", ` +
    `a, i, b, toupper(substr(a, 1, 1)) substr(a, 2), b, int(rand() * 65536), b, a, b, i * 7, a); ` +
    `printf "%s", line; n += length(line); i++ } }' | head -c ${bytes} > ${path}`
  );
}

/**
 * The slow link (run.ts puts the throttle proxy between the client and QEMU): PUT and GET of compressible text
 * and of random data, from inside the guest. Ids end in @slow.
 */
export function slowLinkWorkloads(files: SlowLinkFiles): Workload[] {
  const mib = files.bytes / MiB;
  /** A guest-side transfer of `files.bytes` over the slow link; `transfer` returns its seconds. */
  const slowTransfer = (
    id: string,
    label: string,
    transfer: (context: WorkloadContext) => Promise<number>,
  ): Workload => ({
    id,
    label: `${label}, slow link`,
    unit: 'MB/s',
    higherIsBetter: true,
    bytes: files.bytes,
    topology: 'guest',
    cold: false,
    run: async (context) => files.bytes / (await transfer(context)) / 1e6,
  });
  const put = (id: string, what: string, source: string): Workload =>
    slowTransfer(id, `PUT ${mib} MiB ${what}`, async ({ shell, client, round }) => {
      const out = await shell.run(
        `curl -s -H 'Expect:' -T ${source} -o /dev/null -w '%{http_code} %{size_upload} %{time_total}' ` +
          `${shell.base}/up-${id.replace('@', '-')}-${client}-${round}`,
      );
      const [code, size, total] = out.split(' ');
      if ((code !== '201' && code !== '204') || Number(size) !== files.bytes) {
        throw new Error(`${id}: got "${out}"`);
      }
      return Number(total);
    });
  const get = (id: string, what: string, name: string): Workload =>
    slowTransfer(id, `GET ${mib} MiB ${what}`, async ({ shell }) => {
      const r = await curlTimed(shell, `${shell.base}/${name}`, '200', files.bytes);
      return r.seconds;
    });
  return [
    put('put-text@slow', 'of text', files.guestText),
    put('put-random@slow', 'of random data', files.guestRandom),
    get('get-text@slow', 'of text', files.hostText),
    get('get-random@slow', 'of random data', files.hostRandom),
  ];
}
