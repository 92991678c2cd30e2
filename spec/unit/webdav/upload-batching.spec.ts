import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { COPY_BELOW_BYTES } from '../../../src/webdav/chunk-gatherer';
import {
  uploadBatches,
  UNSHARED_HOLD_BYTES,
  UPLOAD_BATCH_BYTES,
  writeUploadBody,
  type WritableHandle,
} from '../../../src/webdav/upload-body-writer';
import { connect, oneBytePerChunk, rawExchange } from './support/dav-client';
import { fileHandlePrototype } from './support/file-handle-prototype';
import { makeSandbox, sha256, type Sandbox } from './support/temp-share';
import { until } from './support/until';

const FRAME = 65535;

/** Writes `pieces` one by one, each after the previous one was taken (as mux frames arrive). */
async function writePieces(connection: NodeJS.WritableStream, pieces: readonly Buffer[]): Promise<void> {
  for (const piece of pieces) {
    if (!connection.write(piece)) await new Promise((resolve) => connection.once('drain', resolve));
  }
}

/** A disk whose every write waits until the spec lets it complete. */
class StuckDisk implements WritableHandle {
  readonly written: Buffer[] = [];
  bytesWritten = 0;
  private readonly pending: (() => void)[] = [];
  private onWrite: (() => void) | undefined;

  get waiting(): number {
    return this.pending.length;
  }

  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }> {
    return new Promise((resolve) => {
      this.pending.push(() => {
        const all = Buffer.concat(buffers);
        this.written.push(all);
        this.bytesWritten += all.length;
        resolve({ bytesWritten: all.length });
      });
      this.onWrite?.();
    });
  }

  /** Completes the oldest write. */
  releaseOne(): void {
    this.pending.shift()?.();
  }

  /** Completes the oldest write once there is one (resolves after the write was let through). */
  async next(): Promise<void> {
    while (this.pending.length === 0) await new Promise<void>((resolve) => (this.onWrite = resolve));
    this.releaseOne();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function framesOf(data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < data.length; at += FRAME) frames.push(data.subarray(at, at + FRAME));
  return frames;
}

/**
 * Writes `content`, sent as 64 KiB frames, through writeUploadBody onto a StuckDisk that completes one write
 * at a time when told; at the first stall (a write waiting, the body paused) and after every write it checks
 * that at most `maxHeld` bytes were taken in and not yet written, and at the end that the file is intact.
 * Returns what the first stall looked like: bytes taken in, and bytes queued in the body unread.
 */
async function throughStuckDisk(
  content: Buffer,
  maxHeld: number,
): Promise<{ gathered: number; bodyQueued: number }> {
  const stuck = new StuckDisk();
  const body = new PassThrough({ highWaterMark: FRAME });
  let gathered = 0;
  const written = writeUploadBody(body, stuck, (n) => (gathered += n));
  const fed = writePieces(body, framesOf(content)).then(() => body.end());

  await until(() => stuck.waiting === 1 && body.isPaused());
  const firstStall = { gathered, bodyQueued: body.writableLength };
  expect(gathered - stuck.bytesWritten).toBeLessThanOrEqual(maxHeld);
  while (!(await Promise.race([written.then(() => true), stuck.next().then(() => false)]))) {
    expect(gathered - stuck.bytesWritten).toBeLessThanOrEqual(maxHeld);
  }
  await fed;
  expect(Buffer.concat(stuck.written).equals(content)).toBe(true);
  return firstStall;
}

describe('PUT bodies reach the disk in batches (one thread-pool trip per batch, not per frame)', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeAll(async () => {
    sandbox = makeSandbox();
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('a 4 MiB upload sent as 64 KiB frames is written intact in at most one write per batch', async () => {
    const content = randomBytes(4 * 1024 * 1024);
    const handlePrototype = await fileHandlePrototype(sandbox.outside);
    const writes = jest.spyOn(handlePrototype, 'write');
    const writevs = jest.spyOn(handlePrototype, 'writev');

    const connection = connect(engine);
    let answer = '';
    const answered = new Promise<void>((resolve) =>
      connection.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n\r\n')) resolve();
      }),
    );
    const head = `PUT /up.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${content.length}\r\n\r\n`;
    await writePieces(connection, [Buffer.from(head, 'latin1'), ...framesOf(content)]);
    await answered;
    connection.destroy();

    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(sha256(readFileSync(path.join(sandbox.share, 'up.bin')))).toBe(sha256(content));
    const fileWrites = writes.mock.calls.length + writevs.mock.calls.length;
    expect(fileWrites).toBeLessThanOrEqual(Math.ceil(content.length / UPLOAD_BATCH_BYTES) + 1);
  });

  it('copies tiny chunks together: a body of 1-byte chunks is written whole, in few buffers per write', async () => {
    // A hostile guest's chunked body of one byte per chunk: each chunk reaches us as its own view, which would
    // otherwise be held (an object each, and the socket read it points into) until its batch is written.
    const content = randomBytes(300_000);
    const handlePrototype = await fileHandlePrototype(sandbox.outside);
    const writevs = jest.spyOn(handlePrototype, 'writev');
    const head = 'PUT /tiny.bin HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n';
    const answer = await rawExchange(
      engine,
      Buffer.concat([Buffer.from(head), oneBytePerChunk(content)]),
      (r) => r.includes('\r\n\r\n'),
    );

    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(sha256(readFileSync(path.join(sandbox.share, 'tiny.bin')))).toBe(sha256(content));
    const buffersPerWrite = writevs.mock.calls.map(([buffers]) => (buffers as Buffer[]).length);
    expect(Math.max(...buffersPerWrite)).toBeLessThanOrEqual(2 * (UPLOAD_BATCH_BYTES / COPY_BELOW_BYTES) + 2);
  });

  it('keeps the order of large and copied small chunks, whatever their sizes', async () => {
    const sizes = [1, 70_000, 3, 3, 20_000, 16_383, 16_384, 65_535, 1, 200_000, 5, 100, 300_000, 2];
    const chunks = sizes.map((n) => randomBytes(n));
    const written: Buffer[] = [];
    const handle = {
      writev: (buffers: Buffer[]) => {
        const all = Buffer.concat(buffers);
        written.push(all);
        return Promise.resolve({ bytesWritten: all.length });
      },
    };
    await writeUploadBody(Readable.from(chunks), handle, () => undefined);
    expect(Buffer.concat(written).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('goes on after short writes until every byte is written, and counts every chunk', async () => {
    const content = randomBytes(3 * UPLOAD_BATCH_BYTES + 12345);
    const written: Buffer[] = [];
    // A file system that takes at most 100,000 bytes per call, as a nearly full disk or a signal might.
    const handle = {
      writev: (buffers: Buffer[]) => {
        const all = Buffer.concat(buffers).subarray(0, 100_000);
        written.push(Buffer.from(all));
        return Promise.resolve({ bytesWritten: all.length, buffers });
      },
    };
    let counted = 0;
    await writeUploadBody(Readable.from(framesOf(content)), handle, (n) => (counted += n));
    expect(Buffer.concat(written).equals(content)).toBe(true);
    expect(counted).toBe(content.length);
  });

  it('writes each chunk as it comes while every batch of the process is taken', async () => {
    const content = randomBytes(5 * FRAME);
    const calls: number[] = [];
    const handle = {
      writev: (buffers: Buffer[]) => {
        calls.push(buffers.length);
        return Promise.resolve({ bytesWritten: buffers.reduce((n, b) => n + b.length, 0) });
      },
    };
    // Other uploads (whose guest stopped sending) gather every batch the budget allows.
    const others = Array.from({ length: uploadBatches.limit }, () => uploadBatches.take());
    try {
      await writeUploadBody(Readable.from(framesOf(content)), handle, () => undefined);
    } finally {
      for (const release of others) release?.();
    }
    // The first chunk left alone, without waiting for a batch (with the budget free: 4 chunks in one writev);
    // what arrived meanwhile left together with the next write.
    expect(calls[0]).toBe(1);
    expect(calls.reduce((n, c) => n + c, 0)).toBe(5);
    expect(uploadBatches.inUse).toBe(0);
  });

  it('keeps a batch counted until the disk has taken it, not only while it gathers', async () => {
    const stuck = new StuckDisk();
    const body = new PassThrough();
    const written = writeUploadBody(body, stuck, () => undefined, 2 * FRAME);
    body.write(randomBytes(FRAME));
    body.write(randomBytes(FRAME));
    await until(() => stuck.waiting === 1);
    expect(uploadBatches.inUse).toBe(1); // the batch at the disk
    body.write(randomBytes(FRAME));
    await until(() => uploadBatches.inUse === 2); // and the next one gathering
    stuck.releaseOne();
    await until(() => uploadBatches.inUse === 1);
    body.end();
    await stuck.next();
    await written;
    expect(uploadBatches.inUse).toBe(0);
    expect(stuck.bytesWritten).toBe(3 * FRAME);
  });

  it('holds one chunk beyond the one at the disk while every batch is taken and the disk is slow', async () => {
    // Many uploads to a slow disk: each used to hold a batch at the disk and gather the next, 512 KiB each
    // (256 uploads: 128 MiB). One that finds the budget spent now pauses its body while a write is in flight.
    const others = Array.from({ length: uploadBatches.limit }, () => uploadBatches.take());
    try {
      const firstStall = await throughStuckDisk(randomBytes(12 * FRAME), 2 * FRAME);
      expect(firstStall.gathered).toBeLessThanOrEqual(2 * FRAME);
    } finally {
      for (const release of others) release?.();
    }
    expect(uploadBatches.inUse).toBe(0);
  });

  it('gathers tiny chunks into one write while every batch is taken and the disk is slow', async () => {
    // One byte per chunk from a hostile guest: pausing at every chunk while a write is in flight would make
    // each byte its own trip to the disk.
    const others = Array.from({ length: uploadBatches.limit }, () => uploadBatches.take());
    try {
      const stuck = new StuckDisk();
      const body = new PassThrough();
      const content = randomBytes(20_000);
      const written = writeUploadBody(body, stuck, () => undefined);
      for (let at = 0; at < content.length; at += 1) body.write(content.subarray(at, at + 1));
      body.end();
      while (!(await Promise.race([written.then(() => true), stuck.next().then(() => false)])));
      expect(Buffer.concat(stuck.written).equals(content)).toBe(true);
      // The first byte alone, then UNSHARED_HOLD_BYTES at a time while each write was in flight.
      expect(stuck.written.length).toBeLessThanOrEqual(2 + Math.ceil(content.length / UNSHARED_HOLD_BYTES));
    } finally {
      for (const release of others) release?.();
    }
    expect(uploadBatches.inUse).toBe(0);
  });

  it('gives its gathering batch back when the body is cut off in the middle of one', async () => {
    const handle = { writev: (buffers: Buffer[]) => Promise.resolve({ bytesWritten: buffers.length }) };
    const body = new PassThrough();
    let gathered = 0;
    const written = writeUploadBody(body, handle, (n) => (gathered += n));
    body.write(randomBytes(FRAME));
    await until(() => gathered === FRAME);
    expect(uploadBatches.inUse).toBe(1);
    body.destroy();
    await expect(written).rejects.toThrow();
    expect(uploadBatches.inUse).toBe(0);
  });

  it('refuses a body the guest cut off while the file was being opened', async () => {
    const body = new PassThrough();
    body.destroy();
    const handle = { writev: () => Promise.reject(new Error('nothing may be written')) };
    await expect(writeUploadBody(body, handle, () => undefined)).rejects.toThrow(
      'before its body was complete',
    );
  });

  it('holds at most two batches while the disk is slow, and pauses the body until it catches up', async () => {
    const firstStall = await throughStuckDisk(randomBytes(40 * FRAME), 2 * (UPLOAD_BATCH_BYTES + FRAME));
    // One batch at the disk, the next gathered; the body's own buffer holds the rest back from the guest.
    expect(firstStall.gathered).toBeLessThanOrEqual(2 * (UPLOAD_BATCH_BYTES + FRAME));
    expect(firstStall.bodyQueued).toBeLessThanOrEqual(FRAME);
  });

  it('waits for the write in flight before it reports a body cut off', async () => {
    const stuck = new StuckDisk();
    const body = new PassThrough();
    const written = writeUploadBody(body, stuck, () => undefined, FRAME);
    body.write(randomBytes(FRAME));
    await until(() => stuck.waiting === 1);
    body.destroy();
    let settled = false;
    written.catch(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false); // the descriptor is still in use: the caller must not close it yet
    stuck.releaseOne();
    await expect(written).rejects.toThrow();
  });

  it('fails the stream when the file system refuses a write', async () => {
    const handle = {
      writev: () => Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' })),
    };
    await expect(
      writeUploadBody(Readable.from(framesOf(randomBytes(2 * UPLOAD_BATCH_BYTES))), handle, () => undefined),
    ).rejects.toThrow('no space left');
  });
});
