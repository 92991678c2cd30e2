import fc from 'fast-check';
import { MUX_MAX_PAYLOAD } from '../../../src/wire/constants';
import {
  clientIdFromBigInt,
  clientIdFromBytes,
  clientIdToBytes,
  demuxStep,
  encodeCloseFrames,
  encodeMuxFrame,
  encodeMuxHeader,
  initialMuxDemuxState,
  isMidMuxFrame,
  type MuxDemuxState,
  type MuxFrame,
  writeMuxHeaders,
} from '../../../src/wire/mux-frame';
import { hex, muxFrameArb, splitAt } from './wire-spec-helpers';

/** Feeds chunks in order and collects every frame. */
function demuxAll(chunks: Buffer[]): { frames: MuxFrame[]; state: MuxDemuxState } {
  let state = initialMuxDemuxState;
  const frames: MuxFrame[] = [];
  for (const chunk of chunks) {
    const step = demuxStep(state, chunk);
    state = step.state;
    frames.push(...step.frames);
  }
  return { frames, state };
}

describe('client ids', () => {
  it('are the 8 wire bytes as lowercase hex', () => {
    expect(clientIdFromBytes(hex('0102030405060708'))).toBe('0102030405060708');
    expect(clientIdToBytes('0102030405060708')).toEqual(hex('0102030405060708'));
  });

  it('map signed 64-bit values the way a little-endian guest writes them', () => {
    expect(clientIdFromBigInt(1n)).toBe('0100000000000000');
    expect(clientIdFromBigInt(0n)).toBe('0000000000000000');
    expect(clientIdFromBigInt(-1n)).toBe('ffffffffffffffff');
    // A pointer truncated to 32 bits and sign-extended, as spice-webdavd makes them.
    expect(clientIdFromBigInt(-0x7ffffff0n)).toBe('10000080ffffffff');
    expect(clientIdFromBigInt(-(1n << 63n))).toBe('0000000000000080');
  });

  it('reject malformed ids and out-of-range values', () => {
    expect(() => clientIdFromBytes(Buffer.alloc(7))).toThrow(RangeError);
    expect(() => clientIdToBytes('0102')).toThrow(RangeError);
    expect(() => clientIdToBytes('ABCDEF0123456789')).toThrow(RangeError);
    expect(() => clientIdFromBigInt(1n << 64n)).toThrow(RangeError);
    expect(() => clientIdFromBigInt(-(1n << 63n) - 1n)).toThrow(RangeError);
  });
});

describe('encodeMuxFrame', () => {
  it('writes id, u16 LE size and payload', () => {
    expect(encodeMuxFrame(clientIdFromBigInt(-2n), Buffer.from('GET'))).toEqual(
      hex('feffffffffffffff 0300 474554'),
    );
  });

  it('writes a close frame for an empty payload', () => {
    expect(encodeMuxFrame(clientIdFromBigInt(5n), Buffer.alloc(0))).toEqual(hex('0500000000000000 0000'));
  });

  it('accepts 65535 bytes and refuses 65536', () => {
    expect(encodeMuxFrame('0000000000000001', Buffer.alloc(MUX_MAX_PAYLOAD)).readUInt16LE(8)).toBe(0xffff);
    expect(() => encodeMuxFrame('0000000000000001', Buffer.alloc(MUX_MAX_PAYLOAD + 1))).toThrow(RangeError);
  });
});

describe('encodeCloseFrames', () => {
  it('writes a close frame per id, in order, back to back', () => {
    const ids = [clientIdFromBigInt(5n), clientIdFromBigInt(-2n), clientIdFromBigInt(5n)];
    expect(encodeCloseFrames(ids)).toEqual(
      Buffer.concat(ids.map((id) => encodeMuxFrame(id, Buffer.alloc(0)))),
    );
    expect(demuxAll([encodeCloseFrames(ids)]).frames.map((f) => [f.id, f.payload.length])).toEqual(
      ids.map((id) => [id, 0]),
    );
  });

  it('writes nothing for no ids', () => {
    expect(encodeCloseFrames([])).toHaveLength(0);
  });
});

describe('writeMuxHeaders', () => {
  it('writes each frame header at its stride, as encodeMuxHeader does, and leaves the bytes between alone', () => {
    const id = clientIdFromBigInt(-7n);
    const payloads = [Buffer.alloc(MUX_MAX_PAYLOAD), Buffer.alloc(0), Buffer.from('hi')];
    const target = Buffer.alloc(3 + 3 * 16, 0xee);
    writeMuxHeaders(target, 3 + 6, 16, id, payloads);
    payloads.forEach((payload, n) => {
      const at = 3 + n * 16;
      expect(target.subarray(at, at + 6)).toEqual(Buffer.alloc(6, 0xee));
      expect(target.subarray(at + 6, at + 16)).toEqual(encodeMuxHeader(id, payload.length));
    });
    expect(target.subarray(0, 3)).toEqual(Buffer.alloc(3, 0xee));
  });

  it('refuses a payload over 65535 bytes', () => {
    expect(() =>
      writeMuxHeaders(Buffer.alloc(10), 0, 10, '0000000000000001', [Buffer.alloc(MUX_MAX_PAYLOAD + 1)]),
    ).toThrow(RangeError);
  });
});

describe('demuxStep', () => {
  const a = clientIdFromBigInt(1n);
  const b = clientIdFromBigInt(-7n);
  const frames: MuxFrame[] = [
    { id: a, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') },
    { id: b, payload: Buffer.alloc(0) },
    { id: a, payload: Buffer.from('x') },
    { id: a, payload: Buffer.alloc(0) },
  ];
  const stream = Buffer.concat(frames.map((frame) => encodeMuxFrame(frame.id, frame.payload)));

  it('decodes many frames in one chunk, including zero-size ones', () => {
    const result = demuxAll([stream]);
    expect(result.frames).toEqual(frames);
    expect(isMidMuxFrame(result.state)).toBe(false);
  });

  it('decodes the stream split at every byte', () => {
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    expect(demuxAll(chunks).frames).toEqual(frames);
  });

  it('decodes the stream split at every single position', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(demuxAll([stream.subarray(0, cut), stream.subarray(cut)]).frames).toEqual(frames);
    }
  });

  it('ignores empty chunks', () => {
    expect(demuxStep(initialMuxDemuxState, Buffer.alloc(0))).toEqual({
      state: initialMuxDemuxState,
      frames: [],
      skippedBytes: 0,
    });
  });

  it('returns a payload contained in one chunk as a view of it', () => {
    const [frame] = demuxStep(initialMuxDemuxState, stream).frames;
    expect(frame?.payload.buffer).toBe(stream.buffer);
  });

  it('handles a maximum-size payload split in odd places', () => {
    const big = Buffer.from(Array.from({ length: MUX_MAX_PAYLOAD }, (_, i) => i % 251));
    const wire = encodeMuxFrame(b, big);
    expect(demuxAll(splitAt(wire, [3, 10, 11, 40000])).frames).toEqual([{ id: b, payload: big }]);
  });

  it('is pure: an old state can be stepped again with the same result', () => {
    const first = demuxStep(initialMuxDemuxState, stream.subarray(0, 15));
    const again1 = demuxStep(first.state, stream.subarray(15));
    const again2 = demuxStep(first.state, stream.subarray(15));
    expect(again1).toEqual(again2);
    expect(again1.frames).toEqual(frames);
  });

  it('reports a stream stopped inside a header or a payload as mid-frame', () => {
    expect(isMidMuxFrame(demuxStep(initialMuxDemuxState, stream.subarray(0, 4)).state)).toBe(true);
    expect(isMidMuxFrame(demuxStep(initialMuxDemuxState, stream.subarray(0, 12)).state)).toBe(true);
    expect(isMidMuxFrame(demuxStep(initialMuxDemuxState, stream.subarray(0, 10 + 18)).state)).toBe(false);
  });

  it('round-trips random frames under random chunking', () => {
    fc.assert(
      fc.property(
        fc.array(muxFrameArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (input, cuts) => {
          const wire = Buffer.concat(input.map((frame) => encodeMuxFrame(frame.id, frame.payload)));
          const result = demuxAll(splitAt(wire, cuts));
          expect(result.frames).toEqual(input);
          expect(isMidMuxFrame(result.state)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
