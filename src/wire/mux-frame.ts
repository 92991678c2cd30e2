// The spice-webdavd mux carried inside the webdav channel's SPICEVMC_DATA stream (protocol doc section 6):
// frames of [client id: 8 bytes][payload size: u16 LE][payload], the same in both directions. A zero-size
// frame closes a client (guest to host). The guest re-chunks the stream, so it is parsed incrementally.

import { MUX_HEADER_SIZE, MUX_MAX_PAYLOAD } from './constants';
import {
  framerPiecesStep,
  initialFramerState,
  isMidFrame,
  type FramerSpec,
  type FramerState,
} from './framer';
import { findMuxFrameStart } from './mux-resync';

const CLIENT_ID_BYTES = 8;
const CLIENT_ID_PATTERN = /^[0-9a-f]{16}$/;

/**
 * A mux client id: the 8 raw id bytes in wire order as 16 lowercase hex characters. Opaque on purpose: the
 * guest derives ids from pointers, so they may be negative, zero or reused, and only equality matters.
 */
export type ClientId = string;

export interface MuxFrame {
  id: ClientId;
  /** Empty for a close frame. */
  payload: Buffer;
}

/**
 * A frame whose payload is the pieces it arrived in (views of the chunks fed in, in order), so that nothing
 * joins a payload that spans chunks unless it needs contiguous bytes. `size` is their total; 0 for a close frame.
 */
export interface MuxPiecedFrame {
  id: ClientId;
  pieces: readonly Buffer[];
  size: number;
}

/**
 * Most pieces a payload is passed on in; one that arrived in more is joined (once). spice-server reads the
 * guest's device in chunks of 64 KiB + 32, so a full frame spans two SPICE messages, rarely three; a guest
 * that writes tiny pieces gets them joined, so what sessions hold stays a few buffers per frame.
 */
export const MAX_PAYLOAD_PIECES = 4;

export function clientIdFromBytes(bytes: Buffer): ClientId {
  if (bytes.length !== CLIENT_ID_BYTES) {
    throw new RangeError(`a mux client id is ${CLIENT_ID_BYTES} bytes, not ${bytes.length}`);
  }
  return bytes.toString('hex');
}

export function clientIdToBytes(id: ClientId): Buffer {
  if (!CLIENT_ID_PATTERN.test(id))
    throw new RangeError(`"${id}" is not a mux client id (16 lowercase hex digits)`);
  return Buffer.from(id, 'hex');
}

/**
 * The bytes of ids that frames were recently encoded for: a GET sends thousands of frames to one id, and
 * checking and decoding its hex for each was measurable. Bounded: emptied when it holds more ids than the
 * loop's default client limit (256).
 */
const recentIdBytes = new Map<ClientId, Buffer>();
const RECENT_IDS_KEPT = 256;

function idBytes(id: ClientId): Buffer {
  const known = recentIdBytes.get(id);
  if (known !== undefined) return known;
  const bytes = clientIdToBytes(id);
  if (recentIdBytes.size >= RECENT_IDS_KEPT) recentIdBytes.clear();
  recentIdBytes.set(id, bytes);
  return bytes;
}

/** The id a little-endian guest writes for a signed (or unsigned) 64-bit value; handy in tests. */
export function clientIdFromBigInt(n: bigint): ClientId {
  if (n < -(1n << 63n) || n >= 1n << 64n) throw new RangeError(`${n} does not fit in 64 bits`);
  const bytes = Buffer.alloc(CLIENT_ID_BYTES);
  bytes.writeBigUInt64LE(BigInt.asUintN(64, n));
  return clientIdFromBytes(bytes);
}

/** A frame's 10-byte header, for a sender that writes the payload beside it without copying. */
export function encodeMuxHeader(id: ClientId, payloadSize: number): Buffer {
  if (!Number.isInteger(payloadSize) || payloadSize < 0 || payloadSize > MUX_MAX_PAYLOAD) {
    throw new RangeError(`a mux frame carries 0 to ${MUX_MAX_PAYLOAD} bytes, not ${payloadSize}`);
  }
  const header = Buffer.allocUnsafe(MUX_HEADER_SIZE);
  idBytes(id).copy(header, 0);
  header.writeUInt16LE(payloadSize, CLIENT_ID_BYTES);
  return header;
}

/**
 * Writes the headers of frames to `id` carrying `payloads` into `target`: frame i's 10 bytes at
 * `offset + i × stride` (the room a batch of SPICE headers leaves after each header, see
 * encodeMessageHeaders). Plain stores, one call per batch: the bulk path's encoder.
 */
export function writeMuxHeaders(
  target: Buffer,
  offset: number,
  stride: number,
  id: ClientId,
  payloads: readonly Buffer[],
): void {
  const idBytesOfId = idBytes(id);
  for (let index = 0, at = offset; index < payloads.length; index += 1, at += stride) {
    const size = payloads[index]?.length ?? 0;
    if (size > MUX_MAX_PAYLOAD) {
      throw new RangeError(`a mux frame carries 0 to ${MUX_MAX_PAYLOAD} bytes, not ${size}`);
    }
    for (let byte = 0; byte < CLIENT_ID_BYTES; byte += 1) target[at + byte] = idBytesOfId[byte] ?? 0;
    target[at + CLIENT_ID_BYTES] = size & 0xff;
    target[at + CLIENT_ID_BYTES + 1] = size >>> 8;
  }
}

/**
 * Close frames for `ids`, in order, as one buffer: the guest reads the port as a byte stream, so several
 * frames can travel in one SPICE message, and a burst of them (refusals in a flood) costs one write, not one
 * each.
 */
export function encodeCloseFrames(ids: readonly ClientId[]): Buffer {
  const frames = Buffer.alloc(ids.length * MUX_HEADER_SIZE); // zeroed: every size field reads 0
  ids.forEach((id, index) => idBytes(id).copy(frames, index * MUX_HEADER_SIZE));
  return frames;
}

/** One frame. An empty payload is a close frame. Throws RangeError for a payload over 65535 bytes. */
export function encodeMuxFrame(id: ClientId, payload: Buffer): Buffer {
  return Buffer.concat([encodeMuxHeader(id, payload.length), payload]);
}

const muxFraming: FramerSpec<ClientId> = {
  headerSize: MUX_HEADER_SIZE,
  parseHeader: (header) => ({
    meta: clientIdFromBytes(header.subarray(0, CLIENT_ID_BYTES)),
    size: header.readUInt16LE(CLIENT_ID_BYTES),
  }),
};

/** Where the demuxer is in the byte stream. Treat as opaque; it is immutable. */
export type MuxDemuxState =
  | { readonly mode: 'framing'; readonly framer: FramerState<ClientId> }
  /** Looking for the first whole frame; `skipped` bytes were dropped so far. */
  | { readonly mode: 'seeking'; readonly pending: Buffer; readonly skipped: number };

/** A stream read from its first byte. */
export const initialMuxDemuxState: MuxDemuxState = {
  mode: 'framing',
  framer: initialFramerState<ClientId>(),
};

/**
 * A stream joined at an unknown point (a new SPICE connection, a port opened again): bytes are dropped until
 * the first whole frame (see mux-resync.ts), then it is read as usual.
 */
export const seekingMuxDemuxState: MuxDemuxState = { mode: 'seeking', pending: Buffer.alloc(0), skipped: 0 };

export interface MuxDemuxStep {
  state: MuxDemuxState;
  frames: MuxFrame[];
  /** Bytes dropped before the first whole frame; reported once, by the step that finds that frame. */
  skippedBytes: number;
}

export interface MuxDemuxPiecesStep {
  state: MuxDemuxState;
  frames: MuxPiecedFrame[];
  /** Bytes dropped before the first whole frame; reported once, by the step that finds that frame. */
  skippedBytes: number;
}

/**
 * Feeds one chunk of the guest's byte stream (any size, any boundaries) and returns the frames it
 * completes. Pure: the given state is not modified. Payloads may be views of `chunk`.
 */
export function demuxStep(state: MuxDemuxState, chunk: Buffer): MuxDemuxStep {
  const step = demuxPiecesStep(state, chunk, 1);
  return {
    state: step.state,
    frames: step.frames.map(({ id, pieces }) => ({ id, payload: pieces[0] ?? EMPTY_PAYLOAD })),
    skippedBytes: step.skippedBytes,
  };
}

const EMPTY_PAYLOAD = Buffer.alloc(0);

/**
 * Like `demuxStep`, but each payload comes as the pieces it arrived in (at most `maxPieces`, else joined):
 * views of this chunk and of earlier ones, so a frame that spans SPICE messages is not copied.
 */
export function demuxPiecesStep(
  state: MuxDemuxState,
  chunk: Buffer,
  maxPieces = MAX_PAYLOAD_PIECES,
): MuxDemuxPiecesStep {
  if (state.mode === 'framing') return { ...frameFrom(state.framer, chunk, maxPieces), skippedBytes: 0 };
  const bytes = state.pending.length === 0 ? chunk : Buffer.concat([state.pending, chunk]);
  const search = findMuxFrameStart(bytes);
  if (search.kind === 'need-more') {
    return {
      state: {
        mode: 'seeking',
        pending: bytes.subarray(search.keepFrom),
        skipped: state.skipped + search.keepFrom,
      },
      frames: [],
      skippedBytes: 0,
    };
  }
  return {
    ...frameFrom(initialFramerState<ClientId>(), bytes.subarray(search.offset), maxPieces),
    skippedBytes: state.skipped + search.offset,
  };
}

function frameFrom(
  framer: FramerState<ClientId>,
  chunk: Buffer,
  maxPieces: number,
): { state: MuxDemuxState; frames: MuxPiecedFrame[] } {
  const step = framerPiecesStep(muxFraming, framer, chunk, maxPieces);
  return {
    state: { mode: 'framing', framer: step.state },
    frames: step.frames.map(({ meta, pieces, size }) => ({ id: meta, pieces, size })),
  };
}

/** Whether the stream stopped inside a frame (or before finding one). */
export function isMidMuxFrame(state: MuxDemuxState): boolean {
  return state.mode === 'framing' ? isMidFrame(state.framer) : state.pending.length > 0;
}

/** Bytes the demuxer holds between steps: never more than one frame and the next header. */
export function muxBytesHeld(state: MuxDemuxState): number {
  if (state.mode === 'seeking') return state.pending.length;
  return state.framer.phase === 'header' ? state.framer.pending.length : state.framer.received;
}
