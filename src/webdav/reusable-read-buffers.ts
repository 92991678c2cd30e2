/**
 * File-read buffers that GET reuses once the socket has written every byte of them.
 *
 * A fresh buffer per read (3 MiB; 512 KiB when this was measured) costs page faults and a cold cache for the
 * read's copy (the pool threads' system time) and feeds V8's external-memory accounting (GC work); under the
 * guest's pacing that was about a fifth of a warm GET's CPU. A buffer is lent with the number of bytes its
 * read filled; the connection cuts it into frames (views, never copies), and each frame's bytes come back
 * through `framesWritten` once the SPICE socket has written them (its write callback). Only when all of a
 * buffer's bytes came back is it free again. A view that is never written (a session closed, a frame joined
 * with a neighbour) simply keeps its buffer from coming back: the garbage collector frees it as before. So a
 * mistake can cost a reuse, never bytes a frame still needs.
 */
export class ReusableReadBuffers {
  private readonly free: Buffer[] = [];
  /**
   * Buffers let go while idle, until the collector takes them: a burst that starts before it has run reads
   * into these instead of making new ones beside them (which would briefly hold both).
   */
  private letGo: WeakRef<Buffer>[] = [];
  /** Whether `take` was called since the idle timer was last armed. */
  private takenSinceArmed = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `size`: the bytes of every buffer; `maxFree`: how many free buffers are kept (the rest go to the GC);
   * `idleMs`: free buffers are let go once none was taken for between one and two of these. Kept buffers are
   * for the next read of a running download, not for the next download minutes later: after a burst of many
   * downloads they were 16 MiB of 2 MiB buffers (and 4 MiB of frames) held for the process's life, under
   * whatever it did next (a PROPFIND turn peaked 5–16 MiB higher after 16 downloads than alone). Let go, they
   * are held weakly until the collector frees them: dropped outright, a burst that started before it ran made
   * new buffers beside the old (4 GETs from the host after other transfers peaked at 91 MiB, 78–80 now).
   */
  constructor(
    readonly size: number,
    private readonly maxFree: number,
    private readonly idleMs = DEFAULT_IDLE_MS,
  ) {}

  /** A buffer of `size` bytes, reused when one is free (or was let go and not yet collected). */
  take(): Buffer {
    this.takenSinceArmed = true;
    const free = this.free.pop();
    if (free !== undefined) return free;
    for (let ref = this.letGo.pop(); ref !== undefined; ref = this.letGo.pop()) {
      const buffer = ref.deref();
      if (buffer !== undefined) return buffer;
    }
    return Buffer.allocUnsafe(this.size);
  }

  /**
   * Hands the first `bytes` of `buffer` to the writer: it comes back once that many bytes of it were written,
   * and `written` is called then. A buffer that is not one of ours (not its own memory, another size) is never
   * taken back, and then `written` is never called: returns whether the buffer was taken.
   */
  lend(buffer: Buffer, bytes: number, written?: () => void): boolean {
    if (bytes <= 0 || buffer.length !== this.size || buffer.byteOffset !== 0) return false;
    if (buffer.buffer.byteLength !== this.size) return false;
    leases.set(buffer.buffer, {
      left: bytes,
      giveBack: () => {
        written?.();
        if (this.free.length >= this.maxFree) return;
        this.free.push(buffer);
        this.letGoWhenIdle();
      },
    });
    return true;
  }

  /**
   * Arms one timer (unless armed): when it fires, the free buffers go to the garbage collector if none was
   * taken since it was armed, else it is armed again. One timer per `idleMs` while reads go on, none after.
   */
  private letGoWhenIdle(): void {
    if (this.idleTimer !== undefined) return;
    this.takenSinceArmed = false;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.takenSinceArmed) return this.letGoWhenIdle();
      // Still held weakly: the collector frees them when it next runs, unless a read takes one back first.
      this.letGo = [...this.letGo, ...this.free.splice(0).map((buffer) => new WeakRef(buffer))].slice(
        -this.maxFree,
      );
    }, this.idleMs);
    this.idleTimer.unref(); // never what keeps the process alive
  }

  /** Free buffers kept for reuse (specs, diagnostics). */
  get freeCount(): number {
    return this.free.length;
  }
}

/** Two seconds: longer than the pause between one file and the next of a copy, short next to a user's pause. */
const DEFAULT_IDLE_MS = 2000;

interface Lease {
  /** Bytes of the buffer not yet written. */
  left: number;
  /** Puts the buffer back on its free list (if the list has room). */
  readonly giveBack: () => void;
}

/** Lent buffers by their memory: a frame is a view of it, so its `.buffer` finds the lease. */
const leases = new WeakMap<ArrayBufferLike, Lease>();

/**
 * The socket wrote `view` (a frame's payload): if it is a view of a lent buffer, those bytes are done, and the
 * buffer is free again once all its lent bytes are. Anything else is ignored.
 */
export function bytesWritten(view: Buffer): void {
  framesWritten([view]);
}

/**
 * `bytesWritten` for each of `views` in turn (the payloads of a batch of frames): neighbouring views of one
 * buffer, as a GET's frames are, look its lease up once.
 */
export function framesWritten(views: readonly Buffer[]): void {
  let memory: ArrayBufferLike | undefined;
  let lease: Lease | undefined;
  for (const view of views) {
    if (view.buffer !== memory) {
      memory = view.buffer;
      lease = leases.get(memory);
    }
    if (lease === undefined) continue;
    lease.left -= view.length;
    if (lease.left > 0) continue;
    leases.delete(memory);
    // More bytes than were lent would mean a view written twice: never reuse such a buffer.
    if (lease.left === 0) lease.giveBack();
    lease = undefined; // a view of it after this one was written twice: ignored, as a foreign view is
  }
}
