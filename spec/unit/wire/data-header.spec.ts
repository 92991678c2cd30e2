import {
  FULL_HEADER_SIZE,
  MINI_HEADER_SIZE,
  decodeDataHeader,
  encodeMessage,
  encodeMessageHeader,
  encodeMessageHeaders,
  headerSize,
} from '../../../src/wire/data-header';
import { WireError } from '../../../src/wire/errors';
import { hex } from './wire-spec-helpers';

describe('data headers', () => {
  it('have the documented sizes', () => {
    expect(MINI_HEADER_SIZE).toBe(6);
    expect(FULL_HEADER_SIZE).toBe(18);
    expect(headerSize('mini')).toBe(6);
    expect(headerSize('full')).toBe(18);
  });

  it('encode a mini-header PONG', () => {
    const body = hex('01000000 0807060504030201');
    expect(encodeMessage('mini', { type: 3, body })).toEqual(hex('0300 0c000000 01000000 0807060504030201'));
  });

  it('encode a full header with serial and sub_list 0', () => {
    expect(encodeMessage('full', { type: 104, body: Buffer.alloc(0), serial: 1n })).toEqual(
      hex('0100000000000000 6800 00000000 00000000'),
    );
  });

  it('require a serial for the full header', () => {
    expect(() => encodeMessage('full', { type: 1, body: Buffer.alloc(0) })).toThrow(RangeError);
  });

  it('decode what they encode', () => {
    const body = Buffer.from('hello');
    const mini = encodeMessage('mini', { type: 101, body });
    expect(decodeDataHeader('mini', mini)).toEqual({ type: 101, size: 5 });
    expect(mini.subarray(6)).toEqual(body);
    const full = encodeMessage('full', { type: 0xffff, body, serial: 0xfedcba9876543210n });
    expect(decodeDataHeader('full', full)).toEqual({
      type: 0xffff,
      size: 5,
      serial: 0xfedcba9876543210n,
      subList: 0,
    });
  });

  it('decode a large size and a sub list', () => {
    expect(decodeDataHeader('full', hex('0200000000000000 0800 ffffffff 12000000'))).toEqual({
      type: 8,
      size: 0xffffffff,
      serial: 2n,
      subList: 0x12,
    });
  });

  it('report short headers as truncated', () => {
    expect(() => decodeDataHeader('mini', hex('0300 0c00'))).toThrow(WireError);
    expect(() => decodeDataHeader('full', Buffer.alloc(17))).toThrow(WireError);
  });

  it('encode a batch of headers with room after each, as encodeMessageHeader does one by one', () => {
    // Type 0x0165 and sizes 10 and 0x01020304, little-endian, each header followed by 2 unset bytes of room.
    expect(encodeMessageHeaders('mini', 0x0165, [10, 0x01020304], 2).toString('hex')).toMatch(
      /^65010a000000.{4}650104030201.{4}$/,
    );
    const sizes = [0, 1, 0xffff, 0x10000, 0xffffffff];
    const mini = encodeMessageHeaders('mini', 101, sizes, 10);
    expect(mini.length).toBe(5 * 16);
    sizes.forEach((bodySize, n) =>
      expect(mini.subarray(n * 16, n * 16 + 6)).toEqual(encodeMessageHeader('mini', { type: 101, bodySize })),
    );
    const full = encodeMessageHeaders('full', 0xabcd, sizes, 0, 0xfffffffffffffffbn);
    sizes.forEach((bodySize, n) =>
      expect(full.subarray(n * 18, (n + 1) * 18)).toEqual(
        encodeMessageHeader('full', { type: 0xabcd, bodySize, serial: 0xfffffffffffffffbn + BigInt(n) }),
      ),
    );
  });

  it('refuse a batch with a size, type or serial out of range, or a full header without serials', () => {
    expect(() => encodeMessageHeaders('mini', 1, [2 ** 32], 0)).toThrow(RangeError);
    expect(() => encodeMessageHeaders('mini', 1, [-1], 0)).toThrow(RangeError);
    expect(() => encodeMessageHeaders('mini', 1, [1.5], 0)).toThrow(RangeError);
    expect(() => encodeMessageHeaders('mini', 0x10000, [1], 0)).toThrow(RangeError);
    expect(() => encodeMessageHeaders('full', 1, [1], 0)).toThrow(RangeError);
    expect(() => encodeMessageHeaders('full', 1, [1, 1], 0, 0xffffffffffffffffn)).toThrow(RangeError);
    expect(encodeMessageHeaders('full', 1, [], 0)).toHaveLength(0);
  });
});
