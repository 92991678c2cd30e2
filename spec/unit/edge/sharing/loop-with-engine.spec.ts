import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { DEFAULT_LOOP_LIMITS } from '../../../../src/channel/mux-loop/loop-limits';
import type { LoopInput, SessionKey } from '../../../../src/channel/mux-loop/loop-messages';
import { selectLoop, type EdgeEffect } from '../../../../src/channel/mux-loop/select-loop';
import { createWebdavEngine } from '../../../../src/webdav';
import type { WebdavEngine } from '../../../../src/webdav/types';
import { httpSessionFactory } from '../../../../src/webdav/session/webdav-mux-session';
import { clientIdFromBigInt, encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';

/**
 * The select loop with real WebDAV sessions over a real folder, and a simulated SPICE socket that we control:
 * the guest side is played by this spec. Proves the pull path: a guest client whose frames never leave the
 * socket gets no more than its credit, while another client's download completes.
 */
describe('select loop + WebDAV engine: flow control end to end (no sockets)', () => {
  const FILE_SIZE = 4 * 1024 * 1024;
  let dir: string;
  let engine: WebdavEngine;
  let content: Buffer;
  let subscription: Subscription | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-loop-'));
    content = randomBytes(FILE_SIZE);
    writeFileSync(join(dir, 'big.bin'), content);
    engine = await createWebdavEngine({ root: dir, readOnly: false });
  });
  afterEach(() => subscription?.unsubscribe());
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (id: ClientId, text: string): LoopInput => ({
    kind: 'vmc-data',
    data: encodeMuxFrame(id, Buffer.from(text)),
  });

  it('a stalled client holds only its credit while another client downloads a whole file', async () => {
    const stalled = clientIdFromBigInt(0x70n);
    const healthy = clientIdFromBigInt(-8n);
    const inputs = new Subject<LoopInput>();
    const sentTo = new Map<ClientId, Buffer[]>();
    let healthyDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (healthyDone = resolve));

    const onEffect = (effect: EdgeEffect): void => {
      if (effect.kind !== 'send-frame') return;
      const list = sentTo.get(effect.id) ?? [];
      list.push(effect.payload);
      sentTo.set(effect.id, list);
      // The socket "flushes" the healthy client's frames at once and never the stalled one's.
      if (effect.id === healthy && effect.key !== undefined) {
        const key: SessionKey = effect.key;
        setImmediate(() => inputs.next({ kind: 'frame-flushed', key, frames: 1 }));
      }
      const received = Buffer.concat(sentTo.get(healthy) ?? []);
      const headerEnd = received.indexOf('\r\n\r\n');
      if (headerEnd >= 0 && received.length - headerEnd - 4 >= FILE_SIZE) healthyDone();
    };

    subscription = selectLoop(
      inputs,
      httpSessionFactory(() => engine),
      DEFAULT_LOOP_LIMITS,
    ).subscribe(onEffect);
    inputs.next({ kind: 'port-opened' });
    const get = 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n';
    inputs.next(request(stalled, get));
    inputs.next(request(healthy, get));
    await done;

    const stalledFrames = sentTo.get(stalled) ?? [];
    expect(stalledFrames.length).toBeLessThanOrEqual(DEFAULT_LOOP_LIMITS.creditsPerClient);
    const healthyBytes = Buffer.concat(sentTo.get(healthy) ?? []);
    const body = healthyBytes.subarray(healthyBytes.indexOf('\r\n\r\n') + 4);
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      createHash('sha256').update(content).digest('hex'),
    );
    expect(Math.max(...(sentTo.get(healthy) ?? []).map((b) => b.length))).toBeLessThanOrEqual(65535);
  }, 60_000);

  it('a PUT into a session whose disk side is slow pauses reading the SPICE socket instead of buffering', async () => {
    const uploader = clientIdFromBigInt(0x90n);
    const inputs = new Subject<LoopInput>();
    const effects: EdgeEffect[] = [];
    let resumed: () => void = () => undefined;
    const readingResumed = new Promise<void>((resolve) => (resumed = resolve));
    // A tiny high-water mark so that one chunk-ful of unconsumed data trips it.
    subscription = selectLoop(
      inputs,
      httpSessionFactory(() => engine),
      {
        ...DEFAULT_LOOP_LIMITS,
        bufferHighWater: 256 * 1024,
        bufferLowWater: 64 * 1024,
      },
    ).subscribe((e) => {
      effects.push(e);
      if (e.kind === 'resume-reading') resumed();
    });
    inputs.next({ kind: 'port-opened' });
    const size = 4 * 1024 * 1024;
    inputs.next(
      request(uploader, `PUT /up.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n`),
    );
    // The guest pushes the whole body at once, faster than anything can consume it.
    const chunk = Buffer.alloc(65535, 1);
    for (let sent = 0; sent < size; sent += chunk.length) {
      inputs.next({
        kind: 'vmc-data',
        data: encodeMuxFrame(uploader, chunk.subarray(0, Math.min(chunk.length, size - sent))),
      });
    }
    expect(effects.some((e) => e.kind === 'pause-reading')).toBe(true);
    // Once the engine has written it all, reading resumes (the spec's timeout bounds the wait).
    await readingResumed;
    const kinds = effects.map((e) => e.kind);
    expect(kinds.indexOf('resume-reading')).toBeGreaterThan(kinds.indexOf('pause-reading'));
  }, 60_000);
});
