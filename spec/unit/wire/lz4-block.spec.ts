import fc from 'fast-check';
import { decodeLz4Block } from '../../../src/wire/lz4-block';
import {
  compressLz4Block,
  encodeLz4Sequences,
  expandLz4Sequences,
  type Lz4Sequence,
} from './lz4-test-encoder';
import { hex, wireErrorKind } from './wire-spec-helpers';

/** The input of the golden vector below, rebuilt deterministically. */
function goldenInput(): Buffer {
  const parts: Buffer[] = [
    Buffer.from(
      'HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n\r\n' +
        '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">',
    ),
  ];
  for (let i = 0; i < 12; i++) {
    parts.push(
      Buffer.from(
        `<D:response><D:href>/share/file-${String(i).padStart(2, '0')}.txt</D:href>` +
          '<D:propstat><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>',
      ),
    );
  }
  parts.push(Buffer.alloc(600, 'Z'));
  parts.push(Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 251)));
  parts.push(Buffer.from('</D:multistatus>'));
  return Buffer.concat(parts);
}

// goldenInput() compressed by the reference `lz4` 1.9 tool, block extracted from its frame.
const goldenBlock = hex(
  'f14b485454502f312e3120323037204d756c74692d5374617475730d0a436f6e74656e742d547970653a206170706c696361' +
    '74696f6e2f786d6c0d0a0d0a3c3f786d6c2076657273696f6e3d22312e30223f3e3c443a6d756c7469734600f00020786d6c' +
    '6e733a443d224441563a221e0080726573706f6e73650c00f30a687265663e2f73686172652f66696c652d30302e7478743c' +
    '2f1b00b03c443a70726f70737461742f000008003775733eb4004030204f4b2e00031a00000b000631001a2f6d000f79000b' +
    '1f317900651f327900651f337900651f347900651f357900651f367900651f377900651f387900651f397900641f31ba0465' +
    '1f31ba04451f5a0100ffff46ffec0b30557a9fc4e913385d82a7ccf11b40658aafd4f923486d92b7dc062b50759abfe40e33' +
    '587da2c7ec163b6085aacff41e43688db2d701264b7095badf092e53789dc2e711365b80a5caef193e6388add2f721466b90' +
    'b5da04294e7398bde20c31567ba0c5ea14395e83a8cdf21c41668bb0d5fa24496e93b8dd072c51769bc0e50f34597ea3c8ed' +
    '173c6186abd0f51f44698eb3d802274c7196bbe00a2f54799ec3e812375c81a6cbf01a3f6489aed3f822476c91b6db052a4f' +
    '7499bee30d32577ca1c6eb153a5f84a9cef31d42678cb1d600254a6f94b9de082d52779cc1e610355a7fa4c9ee183d6287ac' +
    'd1f620456a8fb4d903284d7297bce1fb001e00d108034f0950617475733e',
);

/** Runs `action` counting the byte-copy calls made meanwhile (Buffer#copy and copyWithin, which Buffer inherits). */
function countingCopies<T>(action: () => T): { result: T; copies: number } {
  const copy = Buffer.prototype.copy;
  const copyWithin = Uint8Array.prototype.copyWithin;
  let copies = 0;
  Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
    copies++;
    return copy.apply(this, args);
  };
  Uint8Array.prototype.copyWithin = function <T extends Uint8Array>(
    this: T,
    ...args: [number, number, number?]
  ) {
    copies++;
    return copyWithin.apply(this, args) as T;
  };
  try {
    return { result: action(), copies };
  } finally {
    Buffer.prototype.copy = copy;
    Uint8Array.prototype.copyWithin = copyWithin;
  }
}

/** Copy calls a block may cost: per sequence one for its literals and at most 1 + log2(output) for its match. */
function copyBudget(sequences: number, outputSize: number): number {
  return sequences * (2 + Math.ceil(Math.log2(outputSize + 1)));
}

/** `pattern`, then one match repeating it up to `size` bytes, then 5 literal bytes (the format's last sequence). */
function runSequences(pattern: Buffer, size: number): Lz4Sequence[] {
  return [
    { literals: pattern, match: { distance: pattern.length, length: size - pattern.length - 5 } },
    { literals: Buffer.from('tail.') },
  ];
}

describe('decodeLz4Block', () => {
  it('decodes a literal-only block', () => {
    expect(decodeLz4Block(hex('50 68656c6c6f'), 5, 100)).toEqual(Buffer.from('hello'));
  });

  it('decodes a match that overlaps its output (run-length)', () => {
    // literal "a", then a match at distance 1 of length 4 + 5 = 9 → ten "a", then literal "b".
    expect(decodeLz4Block(hex('15 61 0100 10 62'), 11, 100)).toEqual(Buffer.from('aaaaaaaaaab'));
  });

  it('decodes a match with a longer period', () => {
    // "abc", then distance 3 length 7 → "abcabcabca", then literal "!".
    expect(decodeLz4Block(hex('33 616263 0300 10 21'), 11, 100)).toEqual(Buffer.from('abcabcabca!'));
  });

  it('decodes long literal and match lengths with extension bytes (>= 15 + 255)', () => {
    const literals = Buffer.from(Array.from({ length: 15 + 255 + 10 }, (_, i) => 65 + (i % 26)));
    // literal length 280 = 15 + 255 + 10; match length 4 + 15 + 255 + 255 + 3 = 532 at distance 26.
    const block = Buffer.concat([hex('ff ff 0a'), literals, hex('1a00 ff ff 03'), hex('10 2e')]);
    const expected = Buffer.concat([literals, Buffer.alloc(532), Buffer.from('.')]);
    for (let i = 0; i < 532; i++) expected[280 + i] = expected[280 + i - 26];
    expect(decodeLz4Block(block, expected.length, 4096)).toEqual(expected);
  });

  it('decodes output of the reference lz4 tool', () => {
    const input = goldenInput();
    expect(input.length).toBe(2479);
    expect(goldenBlock.length).toBe(530);
    expect(decodeLz4Block(goldenBlock, input.length, 1 << 20)).toEqual(input);
  });

  it('round-trips the spec compressor on repetitive and random data', () => {
    const input = goldenInput();
    expect(decodeLz4Block(compressLz4Block(input), input.length, 1 << 20)).toEqual(input);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(Uint8Array.of(1, 2, 3, 4, 5))), {
          maxLength: 60,
        }),
        (pieces) => {
          const data = Buffer.concat(pieces.map((piece) => Buffer.from(piece)));
          expect(decodeLz4Block(compressLz4Block(data), data.length, data.length)).toEqual(data);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('expands a 4 KiB block into 1 MiB with a handful of copies, not one per byte (issue 17)', () => {
    const size = 1024 * 1024;
    for (const pattern of [Buffer.from('a'), Buffer.from('abc'), Buffer.from('0123456789abcdef0')]) {
      const sequences = runSequences(pattern, size);
      const block = encodeLz4Sequences(sequences);
      expect(block.length).toBeLessThan(4200);
      const { result, copies } = countingCopies(() => decodeLz4Block(block, size, size));
      expect(result.equals(expandLz4Sequences(sequences))).toBe(true);
      expect(copies).toBeLessThanOrEqual(copyBudget(sequences.length, size));
    }
  });

  it('decodes any sequences like the byte-by-byte reference, within the copy budget and the output cap', () => {
    const sequence = fc.record({
      literals: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
      distanceSeed: fc.nat(),
      length: fc.integer({ min: 4, max: 5000 }),
    });
    fc.assert(
      fc.property(fc.array(sequence, { maxLength: 12 }), fc.uint8Array({ maxLength: 20 }), (body, last) => {
        let produced = 0;
        const sequences: Lz4Sequence[] = body.map(({ literals, distanceSeed, length }) => {
          produced += literals.length;
          const distance = 1 + (distanceSeed % Math.min(produced, 0xffff));
          produced += length;
          return { literals, match: { distance, length } };
        });
        sequences.push({ literals: Buffer.from(last) });
        const block = encodeLz4Sequences(sequences);
        const expected = expandLz4Sequences(sequences);
        const { result, copies } = countingCopies(() =>
          decodeLz4Block(block, expected.length, expected.length),
        );
        expect(result.equals(expected)).toBe(true);
        expect(copies).toBeLessThanOrEqual(copyBudget(sequences.length, expected.length));
        expect(wireErrorKind(() => decodeLz4Block(block, expected.length, expected.length - 1))).toBe(
          'too-large',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an expected size over the maximum before decoding', () => {
    expect(wireErrorKind(() => decodeLz4Block(hex('50 68656c6c6f'), 5, 4))).toBe('too-large');
  });

  it('rejects an offset of 0 or beyond the output', () => {
    expect(wireErrorKind(() => decodeLz4Block(hex('15 61 0000 10 62'), 11, 100))).toBe('malformed');
    expect(wireErrorKind(() => decodeLz4Block(hex('15 61 0200 10 62'), 11, 100))).toBe('malformed');
  });

  it('rejects output that overruns or falls short of the expected size', () => {
    expect(wireErrorKind(() => decodeLz4Block(hex('50 68656c6c6f'), 4, 100))).toBe('malformed');
    expect(wireErrorKind(() => decodeLz4Block(hex('50 68656c6c6f'), 6, 100))).toBe('malformed');
    expect(wireErrorKind(() => decodeLz4Block(hex('15 61 0100 10 62'), 8, 100))).toBe('malformed');
  });

  it('rejects input cut inside a sequence as truncated', () => {
    expect(wireErrorKind(() => decodeLz4Block(hex('50 6865'), 5, 100))).toBe('truncated');
    expect(wireErrorKind(() => decodeLz4Block(hex('15 61 01'), 10, 100))).toBe('truncated');
    expect(wireErrorKind(() => decodeLz4Block(hex('f0 ff'), 300, 1000))).toBe('truncated');
    expect(wireErrorKind(() => decodeLz4Block(Buffer.alloc(0), 0, 100))).toBe('truncated');
  });

  it('rejects an announced size the block cannot reach (over 255 times its length) before allocating it', () => {
    const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe');
    try {
      expect(wireErrorKind(() => decodeLz4Block(hex('50 68656c6c6f'), 6 * 255 + 1, 1 << 20))).toBe(
        'malformed',
      );
      expect(allocUnsafe).not.toHaveBeenCalled();
    } finally {
      allocUnsafe.mockRestore();
    }
    // The densest block there is: a 1-byte literal, then one match whose length is all 255-extension bytes.
    const extensions = 4000;
    const dense = Buffer.concat([hex('1f 61 0100'), Buffer.alloc(extensions, 0xff), hex('00 00')]);
    const size = 1 + 15 + 4 + 255 * extensions;
    expect(size).toBeLessThanOrEqual(255 * dense.length);
    expect(decodeLz4Block(dense, size, size).equals(Buffer.alloc(size, 'a'))).toBe(true);
  });

  it('reads a hostile run of length-extension bytes once, failing cleanly (literals past the end, match past the size)', () => {
    const run = Buffer.alloc(1 << 20, 0xff);
    // Literal length announced by a 1 MiB run: more literals than remain.
    expect(wireErrorKind(() => decodeLz4Block(Buffer.concat([hex('f0'), run]), 1 << 20, 1 << 20))).toBe(
      'truncated',
    );
    // Match length announced by a 1 MiB run then ended: far over the announced size, refused before copying.
    const longMatch = Buffer.concat([hex('1f 61 0100'), run, hex('00 00')]);
    const { copies } = countingCopies(() =>
      expect(wireErrorKind(() => decodeLz4Block(longMatch, 1 << 20, 1 << 20))).toBe('malformed'),
    );
    expect(copies).toBeLessThanOrEqual(1); // the one literal
  });

  it('rejects an invalid expected size', () => {
    expect(wireErrorKind(() => decodeLz4Block(hex('00'), -1, 100))).toBe('malformed');
  });
});
