import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { MUX_HEADER_SIZE, MUX_MAX_PAYLOAD } from '../../../src/wire/constants';
import {
  clientIdFromBigInt,
  demuxStep,
  encodeMuxFrame,
  muxBytesHeld,
  seekingMuxDemuxState,
  type MuxFrame,
} from '../../../src/wire/mux-frame';
import { findMuxFrameStart, isPlausibleMuxHeader } from '../../../src/wire/mux-resync';
import { hex, splitAt } from './wire-spec-helpers';

/** Ids as spice-webdavd makes them: an 8-byte aligned address, truncated to 32 bits and sign-extended. */
const pointerId = (address: number): string => clientIdFromBigInt(BigInt.asIntN(32, BigInt(address)));
const up = pointerId(0x5555_a0f0);
const down = pointerId(0xa2d7_4370);

function frame(id: string, payload: Buffer | string): MuxFrame {
  return { id, payload: typeof payload === 'string' ? Buffer.from(payload) : payload };
}
const wire = (...frames: MuxFrame[]): Buffer =>
  Buffer.concat(frames.map((f) => encodeMuxFrame(f.id, f.payload)));

/** Feeds chunks to a demuxer that joined the stream at an unknown point. */
function seekAll(chunks: Buffer[]): { frames: MuxFrame[]; skipped: number; maxHeld: number } {
  let state = seekingMuxDemuxState;
  const frames: MuxFrame[] = [];
  let skipped = 0;
  let maxHeld = 0;
  for (const chunk of chunks) {
    const step = demuxStep(state, chunk);
    state = step.state;
    frames.push(...step.frames);
    skipped += step.skippedBytes;
    maxHeld = Math.max(maxHeld, muxBytesHeld(state));
  }
  return { frames, skipped, maxHeld };
}

describe('isPlausibleMuxHeader', () => {
  it('accepts ids shaped like spice-webdavd makes them, including one seen from a real guest', () => {
    expect(isPlausibleMuxHeader(hex('7043d7a2ffffffff 2000'), 0)).toBe(true);
    expect(isPlausibleMuxHeader(encodeMuxFrame(up, Buffer.from('x')), 0)).toBe(true);
    expect(isPlausibleMuxHeader(encodeMuxFrame(down, Buffer.alloc(0)), 0)).toBe(true);
  });

  it('rejects a null id, an unaligned one, and upper bytes that do not copy the sign', () => {
    expect(isPlausibleMuxHeader(hex('0000000000000000 0000'), 0)).toBe(false);
    expect(isPlausibleMuxHeader(hex('ffffffffffffffff ffff'), 0)).toBe(false);
    expect(isPlausibleMuxHeader(hex('7143d7a2ffffffff 2000'), 0)).toBe(false);
    expect(isPlausibleMuxHeader(hex('7043d7a200000000 2000'), 0)).toBe(false);
    expect(isPlausibleMuxHeader(hex('7043d722ffffffff 2000'), 0)).toBe(false);
    expect(isPlausibleMuxHeader(Buffer.from('GET /file.txt HTTP/1.1'), 0)).toBe(false);
  });

  it('needs ten bytes', () => {
    expect(isPlausibleMuxHeader(hex('7043d7a2ffffffff 20'), 0)).toBe(false);
  });
});

describe('findMuxFrameStart', () => {
  it('finds a stream that was joined at a frame boundary at once', () => {
    expect(findMuxFrameStart(wire(frame(up, 'GET /')))).toEqual({ kind: 'found', offset: 0 });
    expect(findMuxFrameStart(wire(frame(up, 'GET /'), frame(down, 'x')))).toEqual({
      kind: 'found',
      offset: 0,
    });
  });

  it('skips the rest of an older frame, even one of zeros or of 0xff bytes', () => {
    for (const tail of [randomBytes(999), Buffer.alloc(999), Buffer.alloc(999, 0xff)]) {
      const stream = Buffer.concat([tail, wire(frame(up, 'GET /'), frame(down, 'PUT'))]);
      expect(findMuxFrameStart(stream)).toEqual({ kind: 'found', offset: tail.length });
    }
  });

  it('waits for the rest of a candidate frame before trusting it', () => {
    const whole = wire(frame(up, Buffer.alloc(100, 1)), frame(down, 'x'));
    expect(findMuxFrameStart(Buffer.concat([Buffer.from('tail'), whole.subarray(0, 50)]))).toEqual({
      kind: 'need-more',
      keepFrom: 4,
    });
  });

  it('keeps only the last nine bytes while nothing looks like a header', () => {
    expect(findMuxFrameStart(Buffer.from('no header anywhere in this text'))).toEqual({
      kind: 'need-more',
      keepFrom: 31 - 9,
    });
  });
});

describe('demuxStep joining a stream at an unknown point', () => {
  // A guest uploading random bytes in full frames, as spice-webdavd writes them, with another client beside it.
  const upload = Array.from({ length: 6 }, (_, i) =>
    i % 3 === 2 ? frame(down, `GET /${i} HTTP/1.1\r\n\r\n`) : frame(up, randomBytes(MUX_MAX_PAYLOAD)),
  );
  const stream = wire(...upload);
  const starts: number[] = [];
  upload.reduce((offset, f) => (starts.push(offset), offset + MUX_HEADER_SIZE + f.payload.length), 0);

  it('recovers every whole frame after any cut, at any chunking, and counts what it dropped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: starts[starts.length - 2] }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (cut, chunkCuts) => {
          const next = starts.findIndex((start) => start >= cut);
          const result = seekAll(splitAt(stream.subarray(cut), chunkCuts));
          expect(result.frames).toEqual(upload.slice(next));
          expect(result.skipped).toBe(starts[next] - cut);
          expect(result.maxHeld).toBeLessThanOrEqual(2 * MUX_HEADER_SIZE + MUX_MAX_PAYLOAD);
        },
      ),
      { numRuns: 200 },
    );
  });

  // Not chunking-invariant on purpose: a candidate whose frame ends exactly at a chunk's end is trusted, since
  // spice-webdavd writes whole frames and a lone request must not wait for a next frame that never comes.
  it('never throws on arbitrary bytes, and holds a bounded amount', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => {
          const data = Buffer.from(bytes);
          const result = seekAll(splitAt(data, cuts));
          expect(result.skipped).toBeLessThanOrEqual(data.length);
          expect(result.maxHeld).toBeLessThanOrEqual(2 * MUX_HEADER_SIZE + MUX_MAX_PAYLOAD);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not make a lone request wait for a next frame', () => {
    const step = demuxStep(seekingMuxDemuxState, wire(frame(up, 'GET / HTTP/1.1\r\n\r\n')));
    expect(step.frames).toEqual([frame(up, 'GET / HTTP/1.1\r\n\r\n')]);
    expect(step.skippedBytes).toBe(0);
  });
});
