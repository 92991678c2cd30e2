import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Observable, of, Subject, type Subscription } from 'rxjs';
import { DEFAULT_LOOP_LIMITS } from '../../../../src/channel/mux-loop/loop-limits';
import type { LoopInput, SessionKey } from '../../../../src/channel/mux-loop/loop-messages';
import { selectLoop, type EdgeEffect } from '../../../../src/channel/mux-loop/select-loop';
import { createWebdavEngine } from '../../../../src/webdav';
import type { WebdavEngine } from '../../../../src/webdav/types';
import { poolFileCalls } from '../../../../src/webdav/file-calls';
import { LARGE_READ_BYTES, readBudget } from '../../../../src/webdav/file-response';
import { httpSessionFactory } from '../../../../src/webdav/session/webdav-mux-session';
import { MUX_MAX_PAYLOAD } from '../../../../src/wire/constants';
import { clientIdFromBigInt, encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';
import { writeToLink } from '../../../../src/edge/sharing/link-writer';
import type { WebdavLink } from '../../../../src/edge/spice/spice-session';
import { fakeLink } from './support/fake-link';
import { until as untilTrue } from '../../webdav/support/until';

/** A linked webdav channel whose frames go to `sendFrames`; the rest is fakeLink's. */
function linkSending(sendFrames: WebdavLink['sendFrames'], drained$?: Observable<void>): WebdavLink {
  const { linked } = fakeLink(() => 0, drained$);
  if (linked.kind !== 'webdav-linked') throw new Error('fakeLink gives a linked webdav channel');
  const { kind: _kind, ...base } = linked;
  return { ...base, sendFrames };
}

/** Keeps what the socket was given for a client: copies of its non-empty payloads (the originals are reused). */
function keepPayloads(received: Map<ClientId, Buffer[]>, id: ClientId, payloads: readonly Buffer[]): number {
  const copies = payloads.filter((payload) => payload.length > 0).map((payload) => Buffer.from(payload));
  received.set(id, [...(received.get(id) ?? []), ...copies]);
  return copies.length;
}

/** The HTTP body a client has received so far (empty until its head is complete). */
function bodyOf(received: ReadonlyMap<ClientId, readonly Buffer[]>, id: ClientId): Buffer {
  const bytes = Buffer.concat(received.get(id) ?? []);
  const headerEnd = bytes.indexOf('\r\n\r\n');
  return headerEnd < 0 ? Buffer.alloc(0) : bytes.subarray(headerEnd + 4);
}

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
    pieces: [encodeMuxFrame(id, Buffer.from(text))],
  });

  /** The loop over the engine writing to `link` (the socket), its port open; returns its input. */
  const loopOverLink = (link: WebdavLink): Subject<LoopInput> => {
    const inputs = new Subject<LoopInput>();
    subscription = selectLoop(
      inputs,
      httpSessionFactory(() => engine),
      DEFAULT_LOOP_LIMITS,
      writeToLink(of(link)),
    ).subscribe();
    inputs.next({ kind: 'port-opened' });
    return inputs;
  };

  it('a stalled client holds only its credit while another client downloads a whole file', async () => {
    const stalled = clientIdFromBigInt(0x70n);
    const healthy = clientIdFromBigInt(-8n);
    const inputs = new Subject<LoopInput>();
    const sentTo = new Map<ClientId, Buffer[]>();
    let healthyDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (healthyDone = resolve));

    const onEffect = (effect: EdgeEffect): void => {
      if (effect.kind !== 'send-frames') return;
      const list = sentTo.get(effect.id) ?? [];
      list.push(...effect.payloads);
      sentTo.set(effect.id, list);
      // The socket "flushes" the healthy client's frames at once and never the stalled one's.
      if (effect.id === healthy && effect.key !== undefined) {
        const key: SessionKey = effect.key;
        const frames = effect.payloads.length;
        setImmediate(() => inputs.next({ kind: 'frame-flushed', key, frames }));
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

  /**
   * The loop over the engine with a socket that holds the payloads it is given (no copy) and writes them a turn
   * later: only then are their buffers free, which is what its write callback says. `download` GETs big.bin as
   * client `id` and resolves with the body once every byte of it has been written.
   */
  const loopWritingLater = (): { download: (id: ClientId) => Promise<Buffer> } => {
    const received = new Map<ClientId, Buffer[]>();
    const waiters: Array<() => void> = [];
    const inputs = loopOverLink(
      linkSending((id, payloads, written) => {
        setImmediate(() => {
          keepPayloads(received, id, payloads);
          written?.();
          waiters.splice(0).forEach((wake) => wake());
        });
        return payloads.length;
      }),
    );
    const download = async (id: ClientId): Promise<Buffer> => {
      inputs.next(request(id, 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      while (bodyOf(received, id).length < FILE_SIZE) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return bodyOf(received, id);
    };
    return { download };
  };

  it("reuses a GET's read buffers once the socket wrote their frames, and every byte arrives as read", async () => {
    const { download } = loopWritingLater();
    const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
    expect(digest(await download(clientIdFromBigInt(0xa0n)))).toBe(digest(content));

    const allocations = jest.spyOn(Buffer, 'allocUnsafe');
    expect(digest(await download(clientIdFromBigInt(0xb0n)))).toBe(digest(content));
    const readBuffers = allocations.mock.calls.filter(([size]) => size === LARGE_READ_BYTES).length;
    allocations.mockRestore();
    // The first download's buffers came back once written: the second reads into them (2 reads of 2 MiB).
    expect(readBuffers).toBe(0);
  }, 60_000);

  it('reuses one-frame reads too once the budget of large reads is spent', async () => {
    // Downloads beyond the budget read a frame at a time. Fresh 64 KiB per read, with only 4 large buffers kept
    // for reuse, was garbage that V8 takes back only after tens of MiB: 16 downloads at once grew the process
    // by 35–46 MiB.
    const { download } = loopWritingLater();
    const taken = Array.from({ length: readBudget.limit }, () => readBudget.take());
    const allocations = jest.spyOn(Buffer, 'allocUnsafe');
    try {
      expect((await download(clientIdFromBigInt(0xc0n))).equals(content)).toBe(true);
    } finally {
      taken.forEach((release) => release?.());
    }
    const frameReads = allocations.mock.calls.filter(([size]) => size === MUX_MAX_PAYLOAD).length;
    allocations.mockRestore();
    // 64 reads of one frame (and a tail of 64 bytes); only those in flight at once were ever made (the
    // connection's queue and the frames the socket holds), not one per read.
    expect(frameReads).toBeLessThanOrEqual(DEFAULT_LOOP_LIMITS.creditsPerClient / 2);
  }, 60_000);

  it('many downloads behind a socket that writes nothing hold the read budget, then all finish intact', async () => {
    const clients = Array.from({ length: 40 }, (_, n) => clientIdFromBigInt(BigInt(0x3000 + 0x10 * n)));
    const drained = new Subject<void>();
    const received = new Map<ClientId, Buffer[]>();
    const held: Array<() => void> = [];
    let writing = false;
    let framesSent = 0;
    // A socket that takes nothing until told to write; then it writes what it held and everything after.
    const link = linkSending((id, payloads, written) => {
      framesSent += keepPayloads(received, id, payloads);
      const write = (): void => written?.();
      if (writing) setImmediate(write);
      else held.push(write);
      return writing ? payloads.length : 0;
    }, drained);
    // Checked every turn: a download can take its large read (or the budget come back) on a turn in which
    // nothing reaches the socket. A deadline inside the spec's timeout: a spec that fails stops its loop.
    const until = (condition: () => boolean): Promise<void> => untilTrue(condition, 50_000);

    const inputs = loopOverLink(link);
    const allocations = jest.spyOn(Buffer, 'allocUnsafe');
    for (const id of clients) inputs.next(request(id, 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    // Every credit is in the stalled socket; each download has read what it holds while it waits.
    await until(() => framesSent === DEFAULT_LOOP_LIMITS.creditsTotal);
    await until(() => readBudget.inUse === readBudget.limit);
    expect(readBudget.inUse).toBe(4);

    writing = true;
    held.splice(0).forEach((write) => write());
    drained.next();
    await until(() => clients.every((id) => bodyOf(received, id).length >= FILE_SIZE));
    for (const id of clients) expect(bodyOf(received, id).equals(content)).toBe(true);
    // Every large read came back once written or once its response was over.
    await until(() => readBudget.inUse === 0);
    const frameReads = allocations.mock.calls.filter(([size]) => size === MUX_MAX_PAYLOAD).length;
    allocations.mockRestore();
    // The 32 downloads beyond the budget read a frame at a time. Once the socket writes, it gives dozens of
    // frames back at once: kept for the next reads, no more were made than were ever held at once (those in
    // the socket, and per download one waiting in its connection and one being read). With 16 kept, 170–194
    // were made here (109–111 now).
    expect(frameReads).toBeLessThanOrEqual(DEFAULT_LOOP_LIMITS.creditsTotal + 2 * clients.length);
  }, 60_000);

  /**
   * The loop over the engine with a socket that takes frames and writes them only when `drain()` is called
   * (then it gives their credits back on its drain signal); `sent` counts the frames of each send.
   */
  const loopDrainingOnDemand = (): {
    inputs: Subject<LoopInput>;
    received: Map<ClientId, Buffer[]>;
    batches: number[];
    drain: () => void;
  } => {
    const drained = new Subject<void>();
    const received = new Map<ClientId, Buffer[]>();
    const batches: number[] = [];
    const held: Array<() => void> = [];
    const link = linkSending((id, payloads, written) => {
      batches.push(keepPayloads(received, id, payloads));
      held.push(() => written?.());
      return 0; // over the high-water mark: credits come back on the drain
    }, drained);
    const inputs = loopOverLink(link);
    const drain = (): void => {
      held.splice(0).forEach((write) => write());
      drained.next();
    };
    return { inputs, received, batches, drain };
  };

  /**
   * Downloads `file` as `id` over `loop`, draining the socket (all it holds) each time the client has settled:
   * no file read in flight for some turns, so the loop has sent all its credit allowed and the download has
   * read what it reads. Notes the most large reads held at any turn; resolves with the body and that most.
   */
  const downloadDraining = async (
    loop: ReturnType<typeof loopDrainingOnDemand>,
    id: ClientId,
    file: { name: string; size: number },
  ): Promise<{ body: Buffer; mostHeld: number }> => {
    const { inputs, received, drain } = loop;
    const read = poolFileCalls.read.bind(poolFileCalls);
    let readsInFlight = 0;
    const reads = jest.spyOn(poolFileCalls, 'read').mockImplementation((...args) => {
      readsInFlight += 1;
      return read(...args).finally(() => (readsInFlight -= 1));
    });
    let mostHeld = 0;
    const deadline = Date.now() + 50_000; // inside the spec's timeout: a spec that fails stops its loop
    const settled = async (): Promise<void> => {
      for (let quietTurns = 0; quietTurns < 20;) {
        if (Date.now() > deadline) throw new Error('the download never finished');
        await new Promise<void>((resolve) => setImmediate(resolve));
        mostHeld = Math.max(mostHeld, readBudget.inUse);
        quietTurns = readsInFlight === 0 ? quietTurns + 1 : 0;
      }
    };
    try {
      inputs.next(request(id, `GET /${file.name} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
      while (bodyOf(received, id).length < file.size) {
        await settled();
        drain();
      }
      await settled();
      drain();
      return { body: bodyOf(received, id), mostHeld };
    } finally {
      reads.mockRestore();
    }
  };

  it('a download reads ahead while its connection waits, so each drain sends one whole read in one batch', async () => {
    // Six large reads: enough for one in the socket, one in the connection and one ahead at once.
    const bigger = randomBytes(6 * LARGE_READ_BYTES);
    writeFileSync(join(dir, 'bigger.bin'), bigger);
    const loop = loopDrainingOnDemand();
    const file = { name: 'bigger.bin', size: bigger.length };
    const { body, mostHeld } = await downloadDraining(loop, clientIdFromBigInt(0xd0n), file);
    expect(body.equals(bigger)).toBe(true);
    // The read in the socket, the one waiting in the connection, the one read ahead.
    expect(mostHeld).toBe(3);
    // After the first batches (the head, and the credit handed out ahead), every drain sent a whole read.
    const wholeReads = loop.batches.filter((frames) => frames === LARGE_READ_BYTES / MUX_MAX_PAYLOAD);
    expect(wholeReads.length).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('a download beside others that hold most of the read budget takes only what is left, and finishes', async () => {
    // All but two large reads held elsewhere: the download's own two fit, a read ahead does not (its reads
    // beyond the budget are one frame each).
    const taken = Array.from({ length: readBudget.limit - 2 }, () => readBudget.take());
    try {
      const bigger = randomBytes(6 * LARGE_READ_BYTES);
      writeFileSync(join(dir, 'bigger.bin'), bigger);
      const file = { name: 'bigger.bin', size: bigger.length };
      const { body, mostHeld } = await downloadDraining(
        loopDrainingOnDemand(),
        clientIdFromBigInt(0xe0n),
        file,
      );
      expect(body.equals(bigger)).toBe(true);
      // Its own two (one in the socket, one in the connection), none ahead: never more than the budget.
      expect(mostHeld).toBe(readBudget.limit);
    } finally {
      taken.forEach((release) => release?.());
    }
  }, 60_000);

  it('keep-alive connections that finished their answers do not keep a new one waiting for credit', async () => {
    // Credits are handed out ahead; 20 open connections that each got a small answer would hold all 64
    // (8 each) and leave the next one without any, for as long as they stay open.
    const idle = Array.from({ length: 20 }, (_, n) => clientIdFromBigInt(BigInt(0x1000 + 0x10 * n)));
    const newcomer = clientIdFromBigInt(0x900n);
    const inputs = new Subject<LoopInput>();
    const received = new Map<ClientId, Buffer[]>();
    const waiters: Array<() => void> = [];
    // A socket that writes every frame at once.
    subscription = selectLoop(
      inputs,
      httpSessionFactory(() => engine),
      DEFAULT_LOOP_LIMITS,
    ).subscribe((effect) => {
      if (effect.kind !== 'send-frames' || effect.key === undefined) return;
      const key: SessionKey = effect.key;
      const frames = effect.payloads.length;
      received.set(effect.id, [...(received.get(effect.id) ?? []), ...effect.payloads]);
      setImmediate(() => {
        inputs.next({ kind: 'frame-flushed', key, frames });
        waiters.splice(0).forEach((wake) => wake());
      });
    });
    const get = async (id: ClientId, path: string, size: number): Promise<Buffer> => {
      inputs.next(request(id, `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
      while (bodyOf(received, id).length < size) await new Promise<void>((resolve) => waiters.push(resolve));
      return bodyOf(received, id);
    };
    writeFileSync(join(dir, 'small.txt'), 'small\n');
    inputs.next({ kind: 'port-opened' });
    for (const id of idle) expect((await get(id, '/small.txt', 6)).toString()).toBe('small\n');

    const body = await get(newcomer, '/big.bin', FILE_SIZE);
    expect(body.equals(content)).toBe(true);
    // The idle ones are still open, and can still be answered (after giving their credit back).
    received.delete(idle[0]);
    expect((await get(idle[0], '/small.txt', 6)).toString()).toBe('small\n');
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
        pieces: [encodeMuxFrame(uploader, chunk.subarray(0, Math.min(chunk.length, size - sent)))],
      });
    }
    expect(effects.some((e) => e.kind === 'pause-reading')).toBe(true);
    // Once the engine has written it all, reading resumes (the spec's timeout bounds the wait).
    await readingResumed;
    const kinds = effects.map((e) => e.kind);
    expect(kinds.indexOf('resume-reading')).toBeGreaterThan(kinds.indexOf('pause-reading'));
  }, 60_000);
});
