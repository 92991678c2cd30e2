// The benchmark's workloads. Each runs inside the guest (curl → spice-webdavd → the SPICE client under test) and
// returns one figure; the caller measures the client's CPU and RSS around it.

import type { RunningQemu } from '../src/edge/qemu/launcher';

export const GUEST_URL = 'http://127.0.0.1:9843';
const MiB = 1024 * 1024;

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
  run(qemu: RunningQemu, client: string, round: number): Promise<number | WorkloadResult>;
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

async function exec(qemu: RunningQemu, command: string): Promise<string> {
  const result = await qemu.guestExec(command, LONG);
  if (result.code !== 0) {
    throw new Error(`guest command failed (${result.code}): ${command}\n${result.stdout}${result.stderr}`);
  }
  return result.stdout.trim();
}

/** curl -w output "code size time_total time_starttransfer", checked. */
async function curlTimed(qemu: RunningQemu, args: string, expectCode: string, expectSize?: number) {
  const out = await exec(
    qemu,
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
async function putZeros(qemu: RunningQemu, mib: number, url: string): Promise<number> {
  const out = await exec(
    qemu,
    `dd if=/dev/zero bs=1M count=${mib} 2>/dev/null | curl -s -H 'Expect:' -T - -o /dev/null -w '%{http_code} %{size_upload} %{time_total}' ${url}`,
  );
  const [code, size, total] = out.split(' ');
  if ((code !== '201' && code !== '204') || Number(size) < mib * MiB) {
    throw new Error(`PUT of ${mib} MiB to ${url}: got "${out}"`);
  }
  return (mib * MiB) / Number(total) / 1e6;
}

/** Several GETs at once from inside the guest; combined MB/s over the wall time of the whole batch. */
async function concurrentGets(
  qemu: RunningQemu,
  name: string,
  bytes: number,
  count: number,
): Promise<number> {
  const started = Date.now();
  const out = await exec(
    qemu,
    `for i in $(seq ${count}); do curl -s -o /dev/null -w '%{size_download}\\n' ${GUEST_URL}/${name} & done; wait`,
  );
  const seconds = (Date.now() - started) / 1000;
  const sizes = out.split('\n').map(Number);
  if (sizes.length !== count || sizes.some((size) => size !== bytes)) {
    throw new Error(`${count} concurrent GETs of ${name}: expected ${count} × ${bytes} bytes, got ${out}`);
  }
  return (count * bytes) / seconds / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function transferWorkloads(share: ShareLayout): Workload[] {
  const bigMiB = share.bigBytes / MiB;
  return [
    {
      id: 'get',
      label: `GET ${bigMiB} MiB`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: share.bigBytes,
      run: async (qemu) => {
        const r = await curlTimed(qemu, `${GUEST_URL}/${share.bigName}`, '200', share.bigBytes);
        return share.bigBytes / r.seconds / 1e6;
      },
    },
    {
      id: 'put',
      label: `PUT ${bigMiB} MiB`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: share.bigBytes,
      run: (qemu, client, round) => putZeros(qemu, bigMiB, `${GUEST_URL}/up-${client}-${round}.bin`),
    },
    {
      id: 'get4',
      label: `4 concurrent GETs × ${share.midBytes / MiB} MiB`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: 4 * share.midBytes,
      run: (qemu) => concurrentGets(qemu, share.midName, share.midBytes, 4),
    },
    {
      id: 'get16',
      label: `16 concurrent GETs × ${share.smallBytes / MiB} MiB`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes: 16 * share.smallBytes,
      run: (qemu) => concurrentGets(qemu, share.smallName, share.smallBytes, 16),
    },
    ...share.folders.map((folder): Workload => ({
      id: `propfind${folder.files}`,
      label: `PROPFIND Depth 1, ${folder.files} files`,
      unit: 's',
      higherIsBetter: false,
      bytes: 0,
      run: async (qemu) => {
        const times: number[] = [];
        for (let i = 0; i < (folder.files >= 10_000 ? 2 : 3); i++) {
          const r = await curlTimed(
            qemu,
            `-X PROPFIND -H 'Depth: 1' -H 'Content-Type: application/xml' ${GUEST_URL}/${folder.name}/`,
            '207',
          );
          times.push(r.seconds);
        }
        return median(times);
      },
    })),
    {
      id: 'ttfb',
      label: 'time to first byte (small GET)',
      unit: 'ms',
      higherIsBetter: false,
      bytes: 0,
      run: async (qemu) => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await curlTimed(qemu, `${GUEST_URL}/${share.tinyName}`, '200');
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
      run: async (qemu) => {
        const alone = await curlTimed(qemu, `${GUEST_URL}/${share.midName}`, '200', share.midBytes);
        // A guest client that sends a GET and never reads: curl blocks opening a FIFO nobody reads.
        await exec(
          qemu,
          `rm -f /tmp/stall; mkfifo /tmp/stall; (curl -s -o /tmp/stall ${GUEST_URL}/${share.bigName} >/dev/null 2>&1 & echo $! > /tmp/stall.pid); sleep 2`,
        );
        try {
          // Bounded: if the other GET stops too, the figure is what it moved in the time allowed.
          const beside = await qemu.guestExec(
            `curl -s -m ${STALL_LIMIT_SECONDS} -o /dev/null -w '%{size_download} %{time_total}' ${GUEST_URL}/${share.midName}`,
            LONG,
          );
          const [size, total] = beside.stdout.trim().split(' ').map(Number);
          if (size === undefined || total === undefined || !(total > 0)) {
            throw new Error(`GET beside a stalled client: "${beside.stdout}" ${beside.stderr}`);
          }
          return {
            value: (100 * (size / total)) / (share.midBytes / alone.seconds),
            note: await daemonWhileStalled(qemu),
          };
        } finally {
          await exec(qemu, 'kill $(cat /tmp/stall.pid) 2>/dev/null; rm -f /tmp/stall /tmp/stall.pid; true');
        }
      },
    },
  ];
}

/**
 * Untimed work each client process does before it is measured: a GET of the big file and a PUT of a quarter of
 * it. A fresh Node process spends its first few hundred MiB compiling its hot paths (V8's tiers); the figures
 * are about the steady state, as for a client that runs for hours. Its CPU is recorded as 'warmup'.
 */
export function warmupWorkload(share: ShareLayout): Workload {
  const putMiB = share.bigBytes / MiB / 4;
  return {
    id: 'warmup',
    label: `warm-up: GET ${share.bigBytes / MiB} MiB, PUT ${putMiB} MiB`,
    unit: 's',
    higherIsBetter: false,
    bytes: share.bigBytes + putMiB * MiB,
    run: async (qemu, client) => {
      const started = Date.now();
      await curlTimed(qemu, `${GUEST_URL}/${share.bigName}`, '200', share.bigBytes);
      await putZeros(qemu, putMiB, `${GUEST_URL}/up-warmup-${client}.bin`);
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
async function daemonWhileStalled(qemu: RunningQemu): Promise<string> {
  const out = await exec(qemu, 'cat /proc/$(pidof spice-webdavd)/wchan; echo; cat /proc/net/tcp');
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
    run: async (qemu) => {
      const r = await curlTimed(qemu, `${GUEST_URL}/generated`, '200', bytes);
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
      run: async (qemu) => {
        const r = await curlTimed(qemu, `${GUEST_URL}/${name}`, '200', bytes);
        return bytes / r.seconds / 1e6;
      },
    },
    {
      id: 'put-1g',
      label: `PUT ${bytes / MiB} MiB (memory)`,
      unit: 'MB/s',
      higherIsBetter: true,
      bytes,
      run: (qemu, client) => putZeros(qemu, bytes / MiB, `${GUEST_URL}/mem-${client}.bin`),
    },
  ];
}

export { median };
