/**
 * PROPFIND's cost alone, for issue 12: one engine served on a local unix socket, a folder of `--files` empty
 * files, `--turns` PROPFIND Depth 1 (allprop) in a row over one keep-alive connection, the answers counted and
 * dropped. Prints peak RSS (VmHWM), CPU and wall time. Run each measurement in a fresh process:
 *   npm run build && node --max-semi-space-size=1 --heap-growing-percent=20 --no-memory-reducer dist/bench/propfind-memory.js --files 10000 --turns 20
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createWebdavEngine } from '../src/webdav';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value === undefined || !Number.isFinite(value) ? fallback : value;
}

function peakRssMiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((text) => text.startsWith('VmHWM:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

function propfind(agent: http.Agent, socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, agent, method: 'PROPFIND', path: '/', headers: { Depth: '1', Host: 'guest' } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () =>
          res.statusCode === 207 ? resolve(bytes) : reject(new Error(`${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const files = option('files', 10_000);
  const turns = option('turns', 20);
  const base = mkdtempSync(path.join(tmpdir(), 'propfind-memory-'));
  const share = path.join(base, 'share');
  const socketPath = path.join(base, 'engine.sock');
  const server = net.createServer();
  try {
    mkdirSync(share);
    for (let i = 0; i < files; i++) writeFileSync(path.join(share, `file-${i}.txt`), '');
    const engine = await createWebdavEngine({ root: share, readOnly: false });
    server.on('connection', (socket) => engine.serve(socket));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const rssBefore = peakRssMiB();
    // The parts of the peak V8 and Node can name (sampled; the rest is code, thread stacks and malloc arenas).
    const most = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      for (const key of Object.keys(most) as (keyof typeof most)[])
        most[key] = Math.max(most[key], usage[key]);
    }, 5);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let bytes = 0;
    for (let turn = 0; turn < turns; turn++) bytes = await propfind(agent, socketPath);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    agent.destroy();
    await engine.close();
    console.log(
      JSON.stringify({
        files,
        turns,
        answerBytes: bytes,
        peakRssMiBBefore: Number(rssBefore.toFixed(1)),
        peakRssMiB: Number(peakRssMiB().toFixed(1)),
        wallSeconds: Number(wall.toFixed(2)),
        cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
        mostMiB: Object.fromEntries(
          Object.entries(most).map(([key, bytes]) => [key, Number((bytes / 1048576).toFixed(1))]),
        ),
      }),
    );
  } finally {
    server.close();
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
