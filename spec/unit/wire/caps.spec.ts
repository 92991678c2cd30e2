import { capsToWords, hasCap, wordsToCaps } from '../../../src/wire/caps';
import { CommonCap } from '../../../src/wire/constants';

describe('capability words', () => {
  it('packs what spice-gtk sends as 0x09', () => {
    expect(capsToWords([CommonCap.AUTH_SELECTION, CommonCap.MINI_HEADER])).toEqual([0x09]);
  });

  it('returns no words for no caps', () => {
    expect(capsToWords([])).toEqual([]);
  });

  it('places bit 31 as an unsigned word and bit 32 in the second word', () => {
    expect(capsToWords([31])).toEqual([0x80000000]);
    expect(capsToWords([32, 0])).toEqual([1, 1]);
  });

  it('rejects invalid bit numbers', () => {
    expect(() => capsToWords([-1])).toThrow(RangeError);
    expect(() => capsToWords([1.5])).toThrow(RangeError);
  });

  it('tests bits, treating missing words as absent', () => {
    const serverWords = [0x0b];
    expect(hasCap(serverWords, CommonCap.AUTH_SELECTION)).toBe(true);
    expect(hasCap(serverWords, CommonCap.AUTH_SPICE)).toBe(true);
    expect(hasCap(serverWords, CommonCap.AUTH_SASL)).toBe(false);
    expect(hasCap(serverWords, CommonCap.MINI_HEADER)).toBe(true);
    expect(hasCap(serverWords, 40)).toBe(false);
    expect(hasCap([], 0)).toBe(false);
    expect(hasCap([0x80000000], 31)).toBe(true);
  });

  it('unpacks words back to bit numbers', () => {
    expect(wordsToCaps([0x0b, 0x1])).toEqual([0, 1, 3, 32]);
    expect(wordsToCaps(capsToWords([5, 64, 3]))).toEqual([3, 5, 64]);
  });
});
