import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import {
  BatchedFileWriter,
  gatheringBatches,
  UPLOAD_BATCH_BYTES,
} from '../../../src/webdav/batched-file-writer';
import { connect } from './support/dav-client';
import { fileHandlePrototype } from './support/file-handle-prototype';
import { makeSandbox, sha256, type Sandbox } from './support/temp-share';

const FRAME = 65535;

/** Writes `pieces` one by one, each after the previous one was taken (as mux frames arrive). */
async function writePieces(connection: NodeJS.WritableStream, pieces: readonly Buffer[]): Promise<void> {
  for (const piece of pieces) {
    if (!connection.write(piece)) await new Promise((resolve) => connection.once('drain', resolve));
  }
}

function framesOf(data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < data.length; at += FRAME) frames.push(data.subarray(at, at + FRAME));
  return frames;
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
    await pipeline(Readable.from(framesOf(content)), new BatchedFileWriter(handle, (n) => (counted += n)));
    expect(Buffer.concat(written).equals(content)).toBe(true);
    expect(counted).toBe(content.length);
  });

  it('writes each chunk as it comes while every gathering batch of the process is taken', async () => {
    const content = randomBytes(5 * FRAME);
    const calls: number[] = [];
    const handle = {
      writev: (buffers: Buffer[]) => {
        calls.push(buffers.length);
        return Promise.resolve({ bytesWritten: buffers.reduce((n, b) => n + b.length, 0) });
      },
    };
    // Other uploads (whose guest stopped sending) gather every batch the budget allows.
    const others = Array.from({ length: gatheringBatches.limit }, () => gatheringBatches.take());
    try {
      await pipeline(Readable.from(framesOf(content)), new BatchedFileWriter(handle, () => undefined));
    } finally {
      for (const release of others) release?.();
    }
    // The first chunk left alone, without waiting for a batch (with the budget free: 4 chunks in one writev);
    // what arrived meanwhile left together with the next write.
    expect(calls[0]).toBe(1);
    expect(calls.reduce((n, c) => n + c, 0)).toBe(5);
    expect(gatheringBatches.inUse).toBe(0);
  });

  it('gives its gathering batch back when it is destroyed in the middle of one', async () => {
    const handle = { writev: (buffers: Buffer[]) => Promise.resolve({ bytesWritten: buffers.length }) };
    const writer = new BatchedFileWriter(handle, () => undefined);
    await new Promise<void>((resolve, reject) =>
      writer.write(randomBytes(FRAME), (e) => (e ? reject(e) : resolve())),
    );
    expect(gatheringBatches.inUse).toBe(1);
    writer.destroy();
    expect(gatheringBatches.inUse).toBe(0);
  });

  it('fails the stream when the file system refuses a write', async () => {
    const handle = {
      writev: () => Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' })),
    };
    await expect(
      pipeline(
        Readable.from(framesOf(randomBytes(2 * UPLOAD_BATCH_BYTES))),
        new BatchedFileWriter(handle, () => undefined),
      ),
    ).rejects.toThrow('no space left');
  });
});
