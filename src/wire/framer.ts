// A pure, incremental splitter for "fixed-size header that announces a body size" streams, shared by the
// SPICE data message stream and the spice-webdavd mux. Feed it chunks of any size; it returns the frames
// completed by each chunk and a new state. It copies as little as possible: a header split across chunks
// goes into a small pending buffer, a body inside one chunk is returned as a view of that chunk, and only a
// body split across chunks is concatenated (once, when complete). Chunks must not be modified after they
// are passed in, since emitted bodies may be views of them.

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
    };

export interface Frame<Meta> {
  meta: Meta;
  body: Buffer;
}

const NO_BYTES = Buffer.alloc(0);

export function initialFramerState<Meta>(): FramerState<Meta> {
  return { phase: 'header', pending: NO_BYTES };
}

/** Whether the stream stopped inside a frame (so ending here loses data). */
export function isMidFrame<Meta>(state: FramerState<Meta>): boolean {
  return state.phase === 'body' || state.pending.length > 0;
}

function joinParts(parts: BodyParts | null, last: Buffer, size: number): Buffer {
  if (parts === null) return last;
  const ordered: Buffer[] = [last];
  for (let node: BodyParts | null = parts; node !== null; node = node.previous) ordered.push(node.part);
  return Buffer.concat(ordered.reverse(), size);
}

export function framerStep<Meta>(
  spec: FramerSpec<Meta>,
  state: FramerState<Meta>,
  chunk: Buffer,
): { state: FramerState<Meta>; frames: Frame<Meta>[] } {
  const frames: Frame<Meta>[] = [];
  let current = state;
  let offset = 0;

  const startBody = (header: Buffer): FramerState<Meta> => {
    const { meta, size } = spec.parseHeader(header);
    if (size === 0) {
      frames.push({ meta, body: NO_BYTES });
      return initialFramerState();
    }
    return { phase: 'body', meta, size, received: 0, parts: null };
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
    if (current.received + take === current.size) {
      frames.push({ meta: current.meta, body: joinParts(current.parts, part, current.size) });
      current = initialFramerState();
    } else {
      current = { ...current, received: current.received + take, parts: { part, previous: current.parts } };
    }
  }
  return { state: current, frames };
}
