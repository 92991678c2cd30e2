// Measures the client's peak RSS during a large GET and a large PUT through the real guest, to show that
// memory does not grow with file size. Run: npm run build && node dist/bench/transfer-memory.js [MiB]

import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, ReplaySubject } from 'rxjs';
import { buildGuest, startQemu } from '../src/edge/qemu/launcher';
import { shareFolder } from '../src/edge/sharing/share-folder';
import type { SharingEvent } from '../src/edge/sharing/sharing-types';

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[2] ?? 1024);
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-bench-'));
  writeFileSync(join(dir, 'big.bin'), '');
  truncateSync(join(dir, 'big.bin'), sizeMiB * MiB); // sparse: the disk is not what we measure
  const qemu = await startQemu({ guest: await buildGuest() });
  const events = new ReplaySubject<SharingEvent>();
  const sub = shareFolder({
    target: { kind: 'tcp', host: qemu.spice.host, port: qemu.spice.port },
    share: { path: dir },
  }).subscribe(events);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    await firstValueFrom(events.pipe(filter((e) => e.kind === 'port-opened')));
    for (let i = 0; i < 30; i++) {
      const r = await qemu.guestExec('curl -sf -m 5 -o /dev/null -X OPTIONS http://127.0.0.1:9843/');
      if (r.code === 0) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const baseline = process.memoryUsage().rss;
    peak = baseline;
    let t0 = Date.now();
    const get = await qemu.guestExec(
      `curl -s -o /dev/null -w '%{http_code} %{size_download}' http://127.0.0.1:9843/big.bin`,
      { timeoutMs: 900_000 },
    );
    const getSeconds = (Date.now() - t0) / 1000;
    const getPeak = peak;
    peak = process.memoryUsage().rss;
    t0 = Date.now();
    const put = await qemu.guestExec(
      `dd if=/dev/zero bs=1M count=${sizeMiB} 2>/dev/null | curl -s -T - -o /dev/null -w '%{http_code}' http://127.0.0.1:9843/up.bin`,
      { timeoutMs: 900_000 },
    );
    const putSeconds = (Date.now() - t0) / 1000;
    const putPeak = peak;
    const uploaded = statSync(join(dir, 'up.bin')).size;
    const mb = (bytes: number): string => (bytes / MiB).toFixed(1);
    console.log(`file size           ${sizeMiB} MiB`);
    console.log(`baseline RSS        ${mb(baseline)} MiB`);
    console.log(
      `GET  ${get.stdout.padEnd(16)} ${getSeconds.toFixed(1)} s, ${((sizeMiB * MiB) / getSeconds / 1e6).toFixed(1)} MB/s, peak RSS ${mb(getPeak)} MiB`,
    );
    console.log(
      `PUT  ${put.stdout} (${mb(uploaded)} MiB on disk) ${putSeconds.toFixed(1)} s, ${((sizeMiB * MiB) / putSeconds / 1e6).toFixed(1)} MB/s, peak RSS ${mb(putPeak)} MiB`,
    );
  } finally {
    clearInterval(sampler);
    sub.unsubscribe();
    await qemu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
