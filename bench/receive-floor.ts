// What any Node.js process pays to take an upload off a socket, without our client: a receiver that gathers
// socket reads into 256 KiB batches and writes each with one writev (one batch in flight, as our uploads do),
// fed 65,551-byte messages (spice-server's SPICEVMC_DATA size) at a fixed pace over loopback TCP. Its CPU per
// GiB per round beside bench/hotpath's PUT rounds says how much of our client's cost is Node's own.
//
// npm run build && node dist/bench/receive-floor.js [--mib 32] [--rounds 6] [--rate 50] [--bare]
// The receiver runs with bin/spice-webdav's flags and environment (its shebang; --bare: plain `node`), in a fresh
// process; it reports its own CPU (all threads, /proc in 10 ms ticks) and minor page faults per round.

import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writev } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnvironment, cliNodeFlags } from './cli-node-flags';
import { minorFaults, processCpuSeconds } from './client-process';

const MiB = 1024 * 1024;
const MESSAGE_BYTES = 65_551;
const BATCH_BYTES = 256 * 1024;

function numberOption(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  const value = at === -1 ? fallback : Number(argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number`);
  return value;
}

/** CPU seconds (user + system, all threads) and minor faults of this process so far. */
function ownUse(): { cpu: number; faults: number } {
  return { cpu: processCpuSeconds(process.pid), faults: minorFaults(process.pid) };
}

/** The receiver: one connection, batches of 256 KiB written while the next gathers; a round's figures per line. */
function receive(roundBytes: number, file: string): void {
  const fd = openSync(file, 'w');
  const server = createServer((socket: Socket) => {
    let batch: Buffer[] = [];
    let gathered = 0;
    let writing = false;
    let inRound = 0;
    let round = 1;
    let mark = ownUse();
    const writeBatch = (): void => {
      const pieces = batch;
      batch = [];
      gathered = 0;
      writing = true;
      writev(fd, pieces, (error) => {
        if (error) throw error;
        writing = false;
        if (gathered >= BATCH_BYTES) writeBatch();
        socket.resume();
      });
    };
    socket.on('data', (chunk: Buffer) => {
      batch.push(chunk);
      gathered += chunk.length;
      inRound += chunk.length;
      if (gathered >= BATCH_BYTES) {
        if (writing) socket.pause();
        else writeBatch();
      }
      if (inRound >= roundBytes) {
        const now = ownUse();
        const gib = inRound / (1024 * MiB);
        console.log(
          `${round} ${((now.cpu - mark.cpu) / gib).toFixed(2)} ${((now.faults - mark.faults) / (inRound / MiB)).toFixed(1)}`,
        );
        mark = now;
        inRound -= roundBytes;
        round += 1;
      }
    });
    socket.on('end', () => {
      closeSync(fd);
      server.close();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    console.log(`port ${address.port}`);
  });
}

/** Sends `total` bytes as messages at `rate` bytes per second (as close as a 1 ms timer allows). */
function send(port: number, total: number, rate: number): Promise<void> {
  const message = Buffer.alloc(MESSAGE_BYTES, 0x5a);
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1', () => {
      const start = process.hrtime.bigint();
      let sent = 0;
      const tick = (): void => {
        while (sent < total) {
          const due = (Number(process.hrtime.bigint() - start) / 1e9) * rate;
          if (sent > due) {
            setTimeout(tick, 1);
            return;
          }
          sent += MESSAGE_BYTES;
          if (!socket.write(message)) {
            socket.once('drain', tick);
            return;
          }
        }
        socket.end(resolve);
      };
      tick();
    });
    socket.on('error', reject);
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const mib = numberOption(argv, '--mib', 32);
  const rounds = numberOption(argv, '--rounds', 6);
  const rate = numberOption(argv, '--rate', 50) * 1e6;
  if (argv[0] === '--receiver') return receive(mib * MiB, argv[1] ?? '');

  const bare = argv.includes('--bare');
  const flags = bare ? [] : cliNodeFlags();
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-floor-'));
  const child = spawn(
    process.execPath,
    [...flags, __filename, '--receiver', join(dir, 'upload.bin'), '--mib', String(mib)],
    { env: { ...process.env, ...(bare ? {} : cliEnvironment()) }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const lines: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        for (const line of text.split('\n').filter((l) => l !== '')) {
          const match = /^port (\d+)$/.exec(line);
          if (match) resolve(Number(match[1]));
          else lines.push(line);
        }
      });
      child.once('exit', () => reject(new Error('the receiver exited before it listened')));
    });
    await send(port, rounds * mib * MiB, rate);
    await new Promise((resolve) => child.once('exit', resolve));
    console.log(
      `receiver: node ${[...flags, bare ? '(bare)' : ''].join(' ')}, ${mib} MiB per round at ${rate / 1e6} MB/s`,
    );
    console.log('round  CPU-s/GiB  faults/MiB');
    for (const line of lines) {
      const [round, cpu, faults] = line.split(' ');
      console.log(`${(round ?? '').padEnd(7)}${(cpu ?? '').padEnd(11)}${faults ?? ''}`);
    }
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
