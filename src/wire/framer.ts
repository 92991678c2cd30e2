// An incremental splitter for "fixed-size header that announces a body size" streams, shared by the SPICE
// data message stream and the spice-webdavd mux. Feed it chunks of any size; it returns the frames completed
// by each chunk and a new state. It copies as little as possible: a header split across chunks goes into a
// small pending buffer, a body inside one chunk is returned as a view of that chunk, and a body split across
// chunks is either returned as the pieces it arrived in (views, up to the caller's `maxPieces`) or copied
// into one buffer of its announced size as it arrives, once it came in more pieces than that. Chunks must
// not be modified after they are passed in, since emitted bodies may be views of them.
//
// Steps are pure but for that buffer: a state holding one shares it with the states before it, so a state
// must not be fed again once a later one exists (a scan over the stream never does).

export interface FramerSpec<Meta> {
  headerSize: number;
  /** Reads a complete header; may throw (e.g. WireError('too-large')) to reject the stream. */
  parseHeader(header: Buffer): { meta: Meta; size: number };
}

/** Pieces of a body collected so far, newest first (a persistent list, so steps stay pure and O(1)). */
interface BodyParts {
  readonly part: Buffer;
  readonly previous: BodyParts | null;
}

export type FramerState<Meta> =
  | { readonly phase: 'header'; readonly pending: Buffer }
  | {
      readonly phase: 'body';
      readonly meta: Meta;
      readonly size: number;
      readonly received: number;
      readonly parts: BodyParts | null;
      /** How many parts `parts` holds. */
      readonly partCount: number;
      /**
       * The body copied so far, once it came in more than `maxPieces` pieces (`parts` is then null): a peer
       * that trickles a body a byte per read must not make us hold a view, and its objects, per byte (a
       * megabyte trickled so held over 200 MB).
       */
      readonly joined: Buffer | null;
    };

export interface Frame<Meta> {
  meta: Meta;
  body: Buffer;
}

/** A frame whose body may be several views, in order; `size` is their total length. */
export interface PiecedFrame<Meta> {
  meta: Meta;
  pieces: readonly Buffer[];
  size: number;
}

const NO_BYTES = Buffer.alloc(0);
const NO_PIECES: readonly Buffer[] = [];

export function initialFramerState<Meta>(): FramerState<Meta> {
  return { phase: 'header', pending: NO_BYTES };
}

/** How many buffers a state holds of the body in progress: views of chunks, or the one it copies into. */
export function piecesHeld<Meta>(state: FramerState<Meta>): number {
  if (state.phase === 'header') return state.pending.length > 0 ? 1 : 0;
  return state.joined !== null ? 1 : state.partCount;
}

/** Whether the stream stopped inside a frame (so ending here loses data). */
export function isMidFrame<Meta>(state: FramerState<Meta>): boolean {
  return state.phase === 'body' || state.pending.length > 0;
}

/**
 * The body's pieces in order. More than `maxPieces` are joined into one buffer (one copy, linear in the size):
 * a peer that cuts a body into many tiny pieces must not make the reader pass on (and hold) many small views.
 */
function bodyPieces(parts: BodyParts | null, count: number, last: Buffer, size: number, maxPieces: number) {
  if (parts === null) return [last];
  const ordered: Buffer[] = new Array<Buffer>(count + 1);
  ordered[count] = last;
  let at = count - 1;
  for (let node: BodyParts | null = parts; node !== null; node = node.previous) ordered[at--] = node.part;
  return ordered.length <= maxPieces ? ordered : [Buffer.concat(ordered, size)];
}

/** A buffer of the body's announced size holding the parts so far and `part`, `received` bytes in all. */
function joinParts<Meta>(
  body: Extract<FramerState<Meta>, { phase: 'body' }>,
  part: Buffer,
  received: number,
): Buffer {
  // Filled up to `received` here and to the end by the steps that follow, before anyone sees it.
  const joined = Buffer.allocUnsafe(body.size);
  let end = received - part.length;
  part.copy(joined, end);
  for (let node = body.parts; node !== null; node = node.previous) {
    end -= node.part.length;
    node.part.copy(joined, end);
  }
  return joined;
}

/**
 * Feeds one chunk; returns the frames it completes, each body as at most `maxPieces` pieces (views of the
 * chunks where possible, one joined buffer when it arrived in more pieces than that).
 */
export function framerPiecesStep<Meta>(
  spec: FramerSpec<Meta>,
  state: FramerState<Meta>,
  chunk: Buffer,
  maxPieces: number,
): { state: FramerState<Meta>; frames: PiecedFrame<Meta>[] } {
  const frames: PiecedFrame<Meta>[] = [];
  let current = state;
  let offset = 0;

  const startBody = (header: Buffer): FramerState<Meta> => {
    const { meta, size } = spec.parseHeader(header);
    if (size === 0) {
      frames.push({ meta, pieces: NO_PIECES, size: 0 });
      return initialFramerState();
    }
    return { phase: 'body', meta, size, received: 0, parts: null, partCount: 0, joined: null };
  };

  while (offset < chunk.length) {
    const available = chunk.length - offset;
    if (current.phase === 'header') {
      if (current.pending.length === 0 && available >= spec.headerSize) {
        current = startBody(chunk.subarray(offset, offset + spec.headerSize));
        offset += spec.headerSize;
        continue;
      }
      const take = Math.min(spec.headerSize - current.pending.length, available);
      const pending = Buffer.concat([current.pending, chunk.subarray(offset, offset + take)]);
      offset += take;
      current = pending.length === spec.headerSize ? startBody(pending) : { phase: 'header', pending };
      continue;
    }
    const take = Math.min(current.size - current.received, available);
    const part = chunk.subarray(offset, offset + take);
    offset += take;
    const received = current.received + take;
    if (current.joined !== null) part.copy(current.joined, current.received);
    if (received === current.size) {
      const pieces =
        current.joined !== null
          ? [current.joined]
          : bodyPieces(current.parts, current.partCount, part, current.size, maxPieces);
      frames.push({ meta: current.meta, pieces, size: current.size });
      current = initialFramerState();
    } else if (current.joined !== null) {
      current = { ...current, received };
    } else if (current.partCount < maxPieces) {
      current = {
        ...current,
        received,
        parts: { part, previous: current.parts },
        partCount: current.partCount + 1,
      };
    } else {
      current = {
        ...current,
        received,
        parts: null,
        partCount: 0,
        joined: joinParts(current, part, received),
      };
    }
  }
  return { state: current, frames };
}

/** Feeds one chunk; returns the frames it completes, each body in one buffer. */
export function framerStep<Meta>(
  spec: FramerSpec<Meta>,
  state: FramerState<Meta>,
  chunk: Buffer,
): { state: FramerState<Meta>; frames: Frame<Meta>[] } {
  const step = framerPiecesStep(spec, state, chunk, 1);
  return {
    state: step.state,
    frames: step.frames.map(({ meta, pieces }) => ({ meta, body: pieces[0] ?? NO_BYTES })),
  };
}
