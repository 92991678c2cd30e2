import { Writable } from 'node:stream';
import { HoldBudget } from './hold-budget';

/**
 * An upload's body arrives as mux frames of at most 64 KiB. Written one by one, each is a trip to libuv's
 * thread pool and back (two wake-ups of the event loop and a worker); gathered into batches of this size, one
 * writev per batch does the same work. Each open upload holds at most one batch (plus the stream's own
 * high-water mark) before it waits for the disk.
 */
export const UPLOAD_BATCH_BYTES = 256 * 1024;

/**
 * Batches being gathered by all uploads together: at most 32 (8 MiB, hold-budget.ts). A batch waits for the
 * rest of its bytes, which the guest may never send: 200 uploads that stopped after 240 KB each held 46 MiB
 * (live after a full collection; measured, session 8). An upload that finds the budget spent writes each chunk
 * as it comes instead.
 */
export const gatheringBatches = new HoldBudget(32);

/** The part of a FileHandle the writer uses (a spec plays a short-writing file system with it). */
export interface WritableHandle {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
}

/**
 * Writes a stream into a descriptor we keep (fs.WriteStream over a FileHandle holds the handle, so our own
 * close would wait for it): chunks are gathered, without copying, until `batchBytes` are waiting or the
 * stream ends, then written with one writev. `onBytes` hears of every chunk as it arrives. Closing the handle
 * is the caller's job.
 */
export class BatchedFileWriter extends Writable {
  private batch: Buffer[] = [];
  private batchedBytes = 0;
  /** This batch's share of `gatheringBatches`; none when the budget was spent as the batch began. */
  private gathering: (() => void) | undefined;

  constructor(
    private readonly handle: WritableHandle,
    private readonly onBytes: (n: number) => void,
    private readonly batchBytes = UPLOAD_BATCH_BYTES,
  ) {
    super({ highWaterMark: batchBytes });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.gather(chunk);
    this.flushIfFull(callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    for (const entry of chunks) this.gather(entry.chunk);
    this.flushIfFull(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.endGathering();
    callback(error);
  }

  private gather(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.batch.length === 0) this.gathering = gatheringBatches.take();
    this.onBytes(chunk.length);
    this.batch.push(chunk);
    this.batchedBytes += chunk.length;
  }

  private flushIfFull(callback: (error?: Error | null) => void): void {
    if (this.batchedBytes < this.batchBytes && this.gathering !== undefined) {
      callback();
      return;
    }
    this.flush().then(() => callback(), callback);
  }

  private endGathering(): void {
    this.gathering?.();
    this.gathering = undefined;
  }

  /** Writes the batch; a short write (a full disk writes what fits, then fails) goes on from where it stopped. */
  private async flush(): Promise<void> {
    let pieces = this.batch;
    this.batch = [];
    this.batchedBytes = 0;
    this.endGathering();
    while (pieces.length > 0) {
      const { bytesWritten } = await this.handle.writev(pieces);
      if (bytesWritten === 0) throw new Error('the file system accepted none of the upload');
      pieces = afterWritten(pieces, bytesWritten);
    }
  }
}

/** What is left of `pieces` after the first `written` bytes went out. */
function afterWritten(pieces: readonly Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    rest.push(skip > 0 ? piece.subarray(skip) : piece);
    skip = 0;
  }
  return rest;
}
