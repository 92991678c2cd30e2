// The pacing of one direction of the benchmark's slow link (throttle-proxy.ts), as pure functions: a link of
// fixed rate that sends one segment after another, each arriving a fixed one-way delay after it has been
// sent, in front of a queue of bounded size. No clock and no sockets: the proxy passes the time in.

export interface LinkShape {
  /** The link's rate in bytes per millisecond (50 Mbit/s = 6250). */
  readonly bytesPerMs: number;
  /** One-way delay added to every segment, in ms. */
  readonly delayMs: number;
  /** Bytes accepted and not yet delivered above which the source must stop (it resumes below half of it). */
  readonly queueLimitBytes: number;
  /** Chunks are cut into segments of at most this many bytes, so a 64 KiB read does not arrive as one burst. */
  readonly segmentBytes: number;
}

export function linkShape(mbitPerSecond: number, delayMs: number, queueLimitBytes: number): LinkShape {
  return { bytesPerMs: (mbitPerSecond * 1e6) / 8 / 1000, delayMs, queueLimitBytes, segmentBytes: 16 * 1024 };
}

export interface PacerState {
  /** When the link has sent everything admitted so far (ms, the caller's clock). */
  readonly linkFreeAtMs: number;
  /** Bytes admitted and not yet delivered. */
  readonly queuedBytes: number;
  readonly sourcePaused: boolean;
}

export const IDLE_LINK: PacerState = { linkFreeAtMs: 0, queuedBytes: 0, sourcePaused: false };

/** A piece of a chunk: where it starts in the chunk, its length, and when it arrives at the far end. */
export interface Segment {
  readonly offset: number;
  readonly bytes: number;
  readonly deliverAtMs: number;
}

/**
 * A chunk read from the source at `nowMs`: its segments go out one after another once the link is free, each
 * taking bytes / rate, and arrive `delayMs` after they are sent. `pause`: the queue just went over its limit,
 * so the source must stop reading (back-pressure instead of memory growth).
 */
export function admitChunk(
  state: PacerState,
  shape: LinkShape,
  nowMs: number,
  chunkBytes: number,
): { state: PacerState; segments: Segment[]; pause: boolean } {
  const segments: Segment[] = [];
  let sentAt = Math.max(nowMs, state.linkFreeAtMs);
  for (let offset = 0; offset < chunkBytes; offset += shape.segmentBytes) {
    const bytes = Math.min(shape.segmentBytes, chunkBytes - offset);
    sentAt += bytes / shape.bytesPerMs;
    segments.push({ offset, bytes, deliverAtMs: sentAt + shape.delayMs });
  }
  const queuedBytes = state.queuedBytes + chunkBytes;
  const pause = !state.sourcePaused && queuedBytes > shape.queueLimitBytes;
  return {
    state: { linkFreeAtMs: sentAt, queuedBytes, sourcePaused: state.sourcePaused || pause },
    segments,
    pause,
  };
}

/** A segment reached the far end. `resume`: the queue fell below half its limit while the source was paused. */
export function segmentDelivered(
  state: PacerState,
  shape: LinkShape,
  bytes: number,
): { state: PacerState; resume: boolean } {
  const queuedBytes = state.queuedBytes - bytes;
  const resume = state.sourcePaused && queuedBytes <= shape.queueLimitBytes / 2;
  return { state: { ...state, queuedBytes, sourcePaused: state.sourcePaused && !resume }, resume };
}
