/**
 * The engine's cost per small request, without QEMU (issue 12, many small files): the engine alone in a child
 * process on a local unix socket, driven by this process over keep-alive connections as rclone drives it
 * (`--connections`, 4 by default): MKCOL of 20 folders, PUT of 1,000 files of 4 KiB, PROPFIND Depth 0 of each
 * file, PROPFIND Depth 1 of each folder, GET of each file, DELETE of each file of half the folders and then of
 * those folders, DELETE of each other folder with its 50 files in one request. For every
 * step it prints the engine process's CPU (utime + stime from /proc) and context switches per request, and the
 * median and 90th percentile of the request's round trip as the client sees it. Round 1 warms up; the figures
 * are the medians of the later rounds. `--strace` also counts the engine's syscalls per request
 * (strace -c -f attached around each step, rounds after the first; it slows everything, so its CPU is not
 * comparable).
 *   npm run build && node dist/bench/small-requests.js --rounds 5 [--connections 1] [--strace]
 *     [--node-flags "..."] (the engine's Node flags; default: bin/spice-webdav's, from its shebang)
 * `--floor` instead makes a small PUT's file-system calls (lstat, realpath, create a temp file, write 4 KiB,
 * close, rename) synchronously in this process, 1,000 times per round: the kernel's share of a PUT's CPU,
 * which no server avoids.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  mkdirSync,
  writeSync,
} from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createWebdavEngine } from '../src/webdav';
import { cliEnvironment, cliNodeFlags } from './cli-node-flags';
import { processContextSwitches, processCpuSeconds } from './client-process';
import { makeSmallFileTree } from './rclone-workloads';
import { percentile } from './workloads';

const FOLDERS = 20;
const FILES_PER_FOLDER = 50;
const BODY = Buffer.alloc(4096, 'x');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value === undefined || !Number.isFinite(value) ? fallback : value;
}

/**
 * The child: the engine on a unix socket and on a TCP port of 127.0.0.1 (for rclone); says "ready PORT" on
 * stdout once it listens. Each line "counts" on stdin is answered with the requests served since the last
 * one, by method and status, as one JSON line.
 */
async function serve(share: string, socketPath: string): Promise<void> {
  const engine = await createWebdavEngine({ root: share, readOnly: false });
  const counts = new Map<string, number>();
  engine.onRequest((record) => {
    const key = `${record.method} ${record.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const server = net.createServer((socket) => engine.serve(socket));
  const tcp = net.createServer({ noDelay: true }, (socket) => engine.serve(socket));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const address = tcp.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', () => {
    process.stdout.write(JSON.stringify(Object.fromEntries(counts)) + '\n');
    counts.clear();
  });
  process.stdin.on('end', () => {
    server.close();
    tcp.close();
    void engine.close();
  });
}

interface Usage {
  readonly cpuSeconds: number;
  readonly switches: number;
}

/** CPU of the process and context switches of all its threads (/proc). */
function usageOf(pid: number): Usage {
  return { cpuSeconds: processCpuSeconds(pid), switches: processContextSwitches(pid) };
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: Buffer;
  readonly expect: number;
}

function send(agent: http.Agent, socketPath: string, request: Request): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        agent,
        method: request.method,
        path: request.path,
        headers: { Host: 'guest', 'Content-Length': request.body?.length ?? 0, ...request.headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== request.expect)
            reject(new Error(`${request.method} ${request.path}: ${res.statusCode}, not ${request.expect}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1000);
        });
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Sends the requests over `connections` keep-alive connections, each connection one request at a time. */
async function run(socketPath: string, connections: number, requests: readonly Request[]): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let request = requests[next++]; request !== undefined; request = requests[next++])
      latencies.push(await send(agent, socketPath, request));
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  return latencies;
}

function steps(round: number): { name: string; requests: Request[] }[] {
  const folders = Array.from({ length: FOLDERS }, (_, f) => `/r${round}-d${f}`);
  const files = folders.flatMap((folder) =>
    Array.from({ length: FILES_PER_FOLDER }, (_, i) => `${folder}/f${i}.txt`),
  );
  const half = files.length / 2;
  const each = (paths: string[], request: Omit<Request, 'path'>) =>
    paths.map((p) => ({ ...request, path: p }));
  return [
    { name: 'MKCOL', requests: each(folders, { method: 'MKCOL', expect: 201 }) },
    { name: 'PUT 4 KiB', requests: each(files, { method: 'PUT', body: BODY, expect: 201 }) },
    {
      name: 'PROPFIND Depth 0',
      requests: each(files, { method: 'PROPFIND', headers: { Depth: '0' }, expect: 207 }),
    },
    {
      name: 'PROPFIND Depth 1 (50)',
      requests: each(folders, { method: 'PROPFIND', headers: { Depth: '1' }, expect: 207 }),
    },
    { name: 'GET 4 KiB', requests: each(files, { method: 'GET', expect: 200 }) },
    // Half the folders file by file, then empty; the other half each in one DELETE of its 50 files.
    { name: 'DELETE file', requests: each(files.slice(0, half), { method: 'DELETE', expect: 204 }) },
    {
      name: 'DELETE folder',
      requests: each(folders.slice(0, FOLDERS / 2), { method: 'DELETE', expect: 204 }),
    },
    {
      name: 'DELETE folder of 50 files',
      requests: each(folders.slice(FOLDERS / 2), { method: 'DELETE', expect: 204 }),
    },
  ];
}

interface StepFigures {
  cpuUs: number;
  switches: number;
  p50Us: number;
  p90Us: number;
  syscalls?: number;
  topSyscalls?: string;
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

/** strace -c -f attached to the engine; resolves once attached, stop() returns its summary. */
async function attachStrace(pid: number, output: string): Promise<() => Promise<string>> {
  const strace = spawn('strace', ['-c', '-f', '-o', output, '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let said = '';
    strace.stderr.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('attached')) resolve();
    });
    strace.once('exit', (code) => reject(new Error(`strace exited (${code}): ${said}`)));
  });
  return async () => {
    const exited = new Promise<void>((resolve) => strace.once('exit', () => resolve()));
    strace.kill('SIGINT');
    await exited;
    return readFileSync(output, 'utf8');
  };
}

/** Total calls and the five most frequent syscalls of a strace -c summary. */
function readStraceSummary(summary: string, requests: number): { total: number; top: string } {
  const rows = summary
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 5 && /^\d/.test(cols[0] ?? '') && cols.at(-1) !== 'total');
  const calls = rows.map((cols) => ({ name: cols.at(-1) ?? '', calls: Number(cols[3]) }));
  const total = calls.reduce((sum, row) => sum + row.calls, 0);
  const top = calls
    .sort((a, b) => b.calls - a.calls)
    .slice(0, 6)
    .map((row) => `${row.name} ${(row.calls / requests).toFixed(1)}`)
    .join(', ');
  return { total: total / requests, top };
}

async function drive(): Promise<void> {
  const rounds = option('rounds', 5);
  const connections = option('connections', 4);
  const withStrace = process.argv.includes('--strace');
  const base = mkdtempSync(path.join(tmpdir(), 'small-requests-'));
  const share = path.join(base, 'share');
  const socketPath = path.join(base, 'engine.sock');
  mkdirSync(share);
  let child: ChildProcess | undefined;
  try {
    const profileAt = process.argv.indexOf('--profile');
    const profile =
      profileAt === -1 ? [] : ['--cpu-prof', '--cpu-prof-dir', process.argv[profileAt + 1] ?? '.'];
    const flagsAt = process.argv.indexOf('--node-flags');
    const nodeFlags =
      flagsAt === -1
        ? cliNodeFlags()
        : (process.argv[flagsAt + 1] ?? '').split(' ').filter((flag) => flag !== '');
    const flags = [...nodeFlags, ...profile];
    child = spawn(process.execPath, [...flags, __filename, '--serve', share, socketPath], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...cliEnvironment() },
    });
    const engine = child;
    const port = await new Promise<number>((resolve, reject) => {
      engine.stdout?.once('data', (line: Buffer) => resolve(Number(line.toString().split(' ')[1])));
      engine.once('exit', (code) => reject(new Error(`the engine exited (${code})`)));
    });
    const pid = engine.pid ?? 0;
    if (process.argv.includes('--rclone')) return await driveRclone(engine, pid, port, rounds);
    const figures = new Map<string, StepFigures[]>();
    for (let round = 0; round < rounds; round++) {
      for (const step of steps(round)) {
        const stop =
          withStrace && round > 0 ? await attachStrace(pid, path.join(base, 'strace.txt')) : undefined;
        const before = usageOf(pid);
        const latencies = await run(socketPath, connections, step.requests);
        const after = usageOf(pid);
        const summary =
          stop === undefined ? undefined : readStraceSummary(await stop(), step.requests.length);
        if (round === 0) continue;
        const n = step.requests.length;
        const list = figures.get(step.name) ?? [];
        list.push({
          cpuUs: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / n,
          switches: (after.switches - before.switches) / n,
          p50Us: median(latencies),
          p90Us: percentile(latencies, 0.9),
          syscalls: summary?.total,
          topSyscalls: summary?.top,
        });
        figures.set(step.name, list);
      }
    }
    console.log(`${rounds - 1} rounds after a warm-up, ${connections} keep-alive connection(s); medians:`);
    console.log('| request | engine CPU µs | context switches | round trip µs p50 / p90 | syscalls |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, list] of figures) {
      const m = (pick: (f: StepFigures) => number) => median(list.map(pick));
      const syscalls = withStrace
        ? `${m((f) => f.syscalls ?? 0).toFixed(1)} (${list.at(-1)?.topSyscalls})`
        : '-';
      console.log(
        `| ${name} | ${m((f) => f.cpuUs).toFixed(0)} | ${m((f) => f.switches).toFixed(1)} | ` +
          `${m((f) => f.p50Us).toFixed(0)} / ${m((f) => f.p90Us).toFixed(0)} | ${syscalls} |`,
      );
    }
  } finally {
    if (child !== undefined && child.exitCode === null) {
      // Ends on its own once stdin closes (so a CPU profile gets written); killed if it does not in 10 s.
      const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      const killer = setTimeout(() => child?.kill(), 10_000);
      child.stdin?.end();
      await exited;
      clearTimeout(killer);
    }
    rmSync(base, { recursive: true, force: true });
  }
}

/** The requests the engine served since it was last asked. */
function askCounts(engine: ChildProcess): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    engine.stdout?.once('data', (line: Buffer) =>
      resolve(JSON.parse(line.toString()) as Record<string, number>),
    );
    engine.stdin?.write('counts\n');
  });
}

/**
 * `--rclone`: the bench's rclone steps (same flags: keep-alive, 4 transfers, 4 checkers) against the engine
 * alone over TCP, with the engine's CPU and context switches per step and the requests rclone sent.
 */
async function driveRclone(engine: ChildProcess, pid: number, port: number, rounds: number): Promise<void> {
  const tree = makeSmallFileTree();
  const into = mkdtempSync(path.join(tmpdir(), 'small-requests-down-'));
  const rclone = (args: string[]) =>
    new Promise<void>((resolve, reject) =>
      execFile(
        'rclone',
        [
          ...['--webdav-url', `http://127.0.0.1:${port}/`, '--webdav-vendor', 'other'],
          ...['--transfers', '4', '--checkers', '4', '--retries', '1', '--low-level-retries', '1'],
          ...args,
        ],
        (error) => (error === null ? resolve() : reject(error)),
      ),
    );
  try {
    for (let round = 0; round < rounds; round++) {
      const remote = `:webdav:tree-${round}`;
      const steps: [string, string[]][] = [
        ['upload', ['copy', tree.dir, remote]],
        ['list', ['lsf', '-R', '--files-only', remote]],
        ['download', ['copy', remote, path.join(into, String(round))]],
        ['delete', ['purge', remote]],
      ];
      for (const [name, args] of steps) {
        await askCounts(engine);
        const before = usageOf(pid);
        const started = process.hrtime.bigint();
        await rclone(args);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const after = usageOf(pid);
        const counts = await askCounts(engine);
        const requests = Object.values(counts).reduce((sum, n) => sum + n, 0);
        const cpu = after.cpuSeconds - before.cpuSeconds;
        console.log(
          `round ${round + 1} ${name}: ${seconds.toFixed(2)} s, engine ${cpu.toFixed(2)} CPU-s, ` +
            `${after.switches - before.switches} switches, ${requests} requests ` +
            `(${((cpu * 1e6) / Math.max(1, requests)).toFixed(0)} µs each): ${JSON.stringify(counts)}`,
        );
      }
    }
  } finally {
    tree.remove();
    rmSync(into, { recursive: true, force: true });
  }
}

/** `--floor`: a small PUT's calls made synchronously, with this process's user and system CPU per PUT. */
function measureFloor(rounds: number): void {
  const base = mkdtempSync(path.join(tmpdir(), 'small-requests-floor-'));
  try {
    for (let round = 0; round < rounds; round++) {
      const folder = path.join(base, `r${round}`);
      mkdirSync(folder);
      const before = process.cpuUsage();
      const puts = FOLDERS * FILES_PER_FOLDER;
      for (let i = 0; i < puts; i++) {
        const named = path.join(folder, `f${i}.txt`);
        try {
          lstatSync(named);
        } catch {
          // missing, as for a new file
        }
        const temp = path.join(realpathSync.native(folder), `.t${i}`);
        const fd = openSync(temp, 'wx', 0o666);
        writeSync(fd, BODY, 0, BODY.length, 0);
        closeSync(fd);
        renameSync(temp, named);
      }
      const used = process.cpuUsage(before);
      console.log(
        `round ${round + 1}: ${((used.user + used.system) / puts).toFixed(0)} µs per PUT ` +
          `(user ${(used.user / puts).toFixed(0)}, system ${(used.system / puts).toFixed(0)})`,
      );
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf('--serve');
const main = process.argv.includes('--floor')
  ? Promise.resolve().then(() => measureFloor(option('rounds', 3)))
  : serveAt === -1
    ? drive()
    : serve(process.argv[serveAt + 1] ?? '', process.argv[serveAt + 2] ?? '');
main.catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
