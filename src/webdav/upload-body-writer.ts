import type { Readable } from 'node:stream';
import { ChunkGatherer, COPY_BELOW_BYTES } from './chunk-gatherer';
import { HoldBudget } from './hold-budget';

/**
 * An upload's body arrives as mux frames of at most 64 KiB. Written one by one, each is a trip to libuv's
 * thread pool and back (two wake-ups of the event loop and a worker); gathered into batches of this size, one
 * writev per batch does the same work. Each open upload holds at most two batches: one being written, the next
 * being gathered meanwhile; beyond that the body is paused until the disk has taken the first. 1 MiB (256 KiB
 * until session 33): each trip also costs the main thread a worker's wake-up, and a PUT through the CLI spent
 * 6-11 % less CPU with a quarter of the trips (docs/performance.md, "Upload batches of 1 MiB (session 33)").
 */
export const UPLOAD_BATCH_BYTES = 1024 * 1024;

/**
 * Batches held by all uploads together, from their first byte until the disk has taken them: at most 8 (8 MiB,
 * hold-budget.ts; 32 of 256 KiB until session 33), a full share for 4 uploads at once. A batch waits for the rest
 * of its bytes, which the guest may never send (200 uploads that stopped after 240 KB each held 46 MiB, live after
 * a full collection; measured, session 8), then waits for the disk, which may be slow (a USB stick, a network
 * share): each upload held a batch at the disk and gathered the next, 512 KiB, so 256 uploads could hold 128 MiB.
 * An upload that finds the budget spent writes what it has as soon as the disk is free and, while a write is in
 * flight, gathers at most UNSHARED_HOLD_BYTES (and one chunk) before it pauses its body.
 */
export const uploadBatches = new HoldBudget(8);

/**
 * What an upload without a share of `uploadBatches` gathers while its write is in flight before it pauses its
 * body: the small chunks one of the gatherer's copy buffers takes (a larger chunk pauses it at once). Pausing
 * at the first chunk whatever its size would make a body of tiny chunks (a hostile guest's one byte per chunk)
 * one file write per chunk while the disk is slow.
 */
export const UNSHARED_HOLD_BYTES = COPY_BELOW_BYTES;

/** The part of a FileHandle the writer uses (a spec plays a short-writing file system with it). */
export interface WritableHandle {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
}

/**
 * Writes a request body into a descriptor we keep (closing it is the caller's job) and settles when every
 * byte is on its way to the disk: resolves after the body ended and the last batch was written; rejects when
 * a write fails (the body is paused then, unread: the caller answers and closes the connection) or when the
 * body is cut off before
 * its end (after any write in flight has finished, so the caller may close the descriptor).
 *
 * Chunks are gathered into batches of `batchBytes`, without copying (but for small ones: chunk-gatherer.ts);
 * one batch is written while the next gathers, and a full second batch pauses the body until the first is
 * written. That pause is the upload's back-pressure: the HTTP parser stops reading its connection, and the
 * mux loop, counting what that connection was given and has not consumed, stops reading the SPICE socket.
 * This reads the body's `data` events itself instead of piping it into a Writable: a fresh process's first
 * upload then runs (and V8 compiles) one stream layer fewer per frame (docs/performance.md, "Upload bodies
 * without a Writable (session 13)"). `onBytes` hears of every chunk as it arrives.
 */
export function writeUploadBody(
  body: Readable,
  handle: WritableHandle,
  onBytes: (n: number) => void,
  batchBytes = UPLOAD_BATCH_BYTES,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const batch = new ChunkGatherer();
    /** The gathering batch's share of `uploadBatches`; none when the budget was spent as the batch began. */
    let gathering: (() => void) | undefined;
    /** The share of the batch at the disk, given back when its write is done. */
    let atDisk: (() => void) | undefined;
    let writing = false;
    let paused = false;
    let ended = false;
    let settled = false;
    /** Why the body stopped short, kept until the write in flight is done. */
    let cutOff: Error | undefined;

    const giveBackShares = (): void => {
      gathering?.();
      gathering = undefined;
      atDisk?.();
      atDisk = undefined;
    };

    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      giveBackShares();
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onCutOff);
      body.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(String(error)));
    };

    const writeBatch = (): void => {
      const pieces = batch.take();
      atDisk = gathering;
      gathering = undefined;
      writing = true;
      writeAllOf(handle, pieces).then(afterWrite, (error: unknown) => {
        writing = false;
        // The rest can go nowhere, but the connection stays: the caller answers (507 for a full disk) and
        // closes it after the answer. Destroying the body here took the connection down unanswered.
        body.pause();
        settle(error);
      });
    };

    const afterWrite = (): void => {
      writing = false;
      atDisk?.();
      atDisk = undefined;
      if (cutOff !== undefined) return settle(cutOff);
      if (ended) return batch.bytes > 0 ? writeBatch() : settle();
      if (batch.bytes >= batchBytes || (batch.bytes > 0 && gathering === undefined)) writeBatch();
      if (paused) {
        paused = false;
        body.resume();
      }
    };

    const onData = (chunk: Buffer): void => {
      if (chunk.length === 0) return;
      if (batch.bytes === 0) gathering = uploadBatches.take();
      onBytes(chunk.length);
      batch.add(chunk);
      // A batch goes when it is full; one without a share of the budget goes with whatever it has, and waits
      // paused for the disk once it holds UNSHARED_HOLD_BYTES.
      if (writing) {
        const limit = gathering === undefined ? Math.min(batchBytes, UNSHARED_HOLD_BYTES) : batchBytes;
        if (batch.bytes < limit) return;
        paused = true;
        body.pause();
      } else if (batch.bytes >= batchBytes || gathering === undefined) {
        writeBatch();
      }
    };

    const onEnd = (): void => {
      ended = true;
      if (writing) return; // afterWrite writes the rest
      if (batch.bytes > 0) writeBatch();
      else settle();
    };

    const onCutOff = (error?: unknown): void => {
      if (ended) return;
      cutOff = error instanceof Error ? error : new Error('the upload ended before its body was complete');
      if (!writing) settle(cutOff);
    };
    const onClose = (): void => onCutOff();

    // The body waited unread while the upload's file was opened; the guest may have gone meanwhile.
    if (body.destroyed) return settle(new Error('the upload ended before its body was complete'));
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onCutOff);
    body.on('close', onClose);
    body.resume();
  });
}

/** Writes every piece; a short write (a full disk writes what fits, then fails) goes on from where it stopped. */
async function writeAllOf(handle: WritableHandle, pieces: Buffer[]): Promise<void> {
  let rest = pieces;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === 0) throw new Error('the file system accepted none of the upload');
    rest = afterWritten(rest, bytesWritten);
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
