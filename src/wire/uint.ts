// Encoders validate their numeric inputs up front so a caller bug fails with a message naming the field,
// rather than Node's generic ERR_OUT_OF_RANGE from deep inside a Buffer write.

const limits = { 8: 0xff, 16: 0xffff, 32: 0xffffffff } as const;

/** Returns `value` if it is an unsigned integer of `bits` bits, else throws RangeError naming `field`. */
export function requireUint(value: number, bits: keyof typeof limits, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > limits[bits]) {
    throw new RangeError(`${field} must be an unsigned ${bits}-bit integer, not ${value}`);
  }
  return value;
}

/** Same for 64-bit values carried as bigint. */
export function requireUint64(value: bigint, field: string): bigint {
  if (value < 0n || value > 0xffffffffffffffffn) {
    throw new RangeError(`${field} must be an unsigned 64-bit integer, not ${value}`);
  }
  return value;
}
