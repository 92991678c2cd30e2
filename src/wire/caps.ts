// Capabilities travel as arrays of u32 words: capability N is bit (N mod 32) of word floor(N / 32).

/** Packs capability bit numbers into the shortest array of words that holds them. */
export function capsToWords(bits: readonly number[]): number[] {
  const words: number[] = [];
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit >= 32 * 1024) {
      throw new RangeError(`capability ${bit} is not a valid capability number`);
    }
    const index = Math.floor(bit / 32);
    while (words.length <= index) words.push(0);
    words[index] = (words[index] | (1 << (bit % 32))) >>> 0;
  }
  return words;
}

/** Whether the capability words include bit `bit`; bits past the end are absent. */
export function hasCap(words: readonly number[], bit: number): boolean {
  if (!Number.isInteger(bit) || bit < 0) return false;
  const word = words[Math.floor(bit / 32)];
  return word !== undefined && ((word >>> (bit % 32)) & 1) === 1;
}

/** The capability bit numbers set in the words, ascending (for logs and tests). */
export function wordsToCaps(words: readonly number[]): number[] {
  const bits: number[] = [];
  words.forEach((word, index) => {
    for (let bit = 0; bit < 32; bit++) {
      if (((word >>> bit) & 1) === 1) bits.push(index * 32 + bit);
    }
  });
  return bits;
}
