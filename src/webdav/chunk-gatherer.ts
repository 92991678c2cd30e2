/**
 * Chunks smaller than this are copied into the gatherer's own 16 KiB buffers instead of being kept as views.
 * A chunked request body of one byte per chunk reaches us as one view per byte, each an object that also
 * keeps the socket read it points into alive: 1 MiB of XML body sent that way took 202 MiB of heap, and a
 * 256 KiB upload batch was 262,144 buffers (measured, session 13). Copied, each 16 KiB of small chunks is one
 * buffer, whatever the guest's chunk sizes; a larger chunk is kept as it is (a view of at least a quarter of
 * the 64 KiB read it points into).
 */
export const COPY_BELOW_BYTES = 16 * 1024;

/**
 * Bytes that arrive as chunks of any size, held in order as few buffers: large chunks as they are (no copy),
 * runs of small ones copied together. Holding n bytes costs at most about n / 16 KiB buffers per kind.
 */
export class ChunkGatherer {
  private pieces: Buffer[] = [];
  private staging: Buffer | undefined;
  private stagedBytes = 0;
  private total = 0;

  /** Bytes gathered and not yet taken. */
  get bytes(): number {
    return this.total;
  }

  add(chunk: Buffer): void {
    if (chunk.length >= COPY_BELOW_BYTES) {
      this.closeStaging();
      this.pieces.push(chunk);
    } else if (this.staging === undefined) {
      // A body of one small chunk (most XML bodies, a small file) needs one copy of its own size, no more.
      this.staging = Buffer.from(chunk);
      this.stagedBytes = chunk.length;
    } else {
      if (this.stagedBytes + chunk.length > COPY_BELOW_BYTES) this.closeStaging();
      if (this.staging === undefined) {
        this.staging = Buffer.allocUnsafe(COPY_BELOW_BYTES);
      } else if (this.staging.length < COPY_BELOW_BYTES) {
        // A second small chunk: from here on they are copied together into a buffer of the full size.
        const grown = Buffer.allocUnsafe(COPY_BELOW_BYTES);
        this.staging.copy(grown, 0, 0, this.stagedBytes);
        this.staging = grown;
      }
      this.stagedBytes += chunk.copy(this.staging, this.stagedBytes);
    }
    this.total += chunk.length;
  }

  /** Everything gathered, in order; the gatherer is empty afterwards. */
  take(): Buffer[] {
    this.closeStaging();
    const pieces = this.pieces;
    this.pieces = [];
    this.total = 0;
    return pieces;
  }

  /** The staged copies join the pieces, before whatever comes next. */
  private closeStaging(): void {
    if (this.staging === undefined || this.stagedBytes === 0) return;
    this.pieces.push(this.staging.subarray(0, this.stagedBytes));
    this.staging = undefined;
    this.stagedBytes = 0;
  }
}
