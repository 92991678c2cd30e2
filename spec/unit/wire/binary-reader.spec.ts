import { BinaryReader } from '../../../src/wire/binary-reader';
import { WireError } from '../../../src/wire/errors';

describe('BinaryReader', () => {
  const bytes = Buffer.from('01' + '0302' + '07060504' + '0f0e0d0c0b0a0908' + 'aabb', 'hex');

  it('reads little-endian integers in sequence', () => {
    const reader = new BinaryReader(bytes);
    expect(reader.u8()).toBe(0x01);
    expect(reader.u16()).toBe(0x0203);
    expect(reader.u32()).toBe(0x04050607);
    expect(reader.u64()).toBe(0x08090a0b0c0d0e0fn);
    expect(reader.offset).toBe(15);
    expect(reader.remaining).toBe(2);
    expect(reader.rest()).toEqual(Buffer.from('aabb', 'hex'));
    expect(reader.remaining).toBe(0);
  });

  it('reads u32 values above 2^31 as positive numbers', () => {
    expect(new BinaryReader(Buffer.from('ffffffff', 'hex')).u32()).toBe(0xffffffff);
  });

  it('returns views, not copies, for bytes()', () => {
    const reader = new BinaryReader(bytes);
    reader.skip(15);
    const view = reader.bytes(2);
    expect(view.buffer).toBe(bytes.buffer);
  });

  it.each([
    ['u8', (r: BinaryReader) => r.u8()],
    ['u16', (r: BinaryReader) => r.u16()],
    ['u32', (r: BinaryReader) => r.u32()],
    ['u64', (r: BinaryReader) => r.u64()],
    ['bytes', (r: BinaryReader) => r.bytes(5)],
  ])('throws WireError(truncated) for a short %s', (_name, read) => {
    const reader = new BinaryReader(Buffer.from('aa', 'hex'), 'thing');
    reader.skip(1);
    expect(() => read(reader)).toThrow(WireError);
    expect(() => read(reader)).toThrow(/thing is truncated/);
    try {
      read(reader);
    } catch (error) {
      expect(error instanceof WireError && error.kind).toBe('truncated');
    }
  });

  it('rejects negative and fractional lengths as truncation, not RangeError', () => {
    const reader = new BinaryReader(Buffer.alloc(4));
    expect(() => reader.bytes(-1)).toThrow(WireError);
    expect(() => reader.bytes(1.5)).toThrow(WireError);
  });
});
