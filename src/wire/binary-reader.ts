// A cursor over a Buffer that reads little-endian integers and raises WireError('truncated') instead of
// RangeError when the input is short, so every decoder gets uniform errors for free.

import { WireError } from './errors';

export class BinaryReader {
  private position = 0;

  /** @param what names the structure being read, for error messages. */
  constructor(
    private readonly buffer: Buffer,
    private readonly what = 'message',
  ) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  u8(): number {
    return this.buffer.readUInt8(this.advance(1));
  }

  u16(): number {
    return this.buffer.readUInt16LE(this.advance(2));
  }

  u32(): number {
    return this.buffer.readUInt32LE(this.advance(4));
  }

  u64(): bigint {
    return this.buffer.readBigUInt64LE(this.advance(8));
  }

  /** The next n bytes as a view (no copy) of the underlying buffer. */
  bytes(n: number): Buffer {
    const start = this.advance(n);
    return this.buffer.subarray(start, start + n);
  }

  /** Everything not read yet, as a view. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  skip(n: number): void {
    this.advance(n);
  }

  private advance(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw new WireError(
        'truncated',
        `${this.what} is truncated: needed ${n} bytes at offset ${this.position}, but it is ${this.buffer.length} bytes long`,
      );
    }
    const start = this.position;
    this.position += n;
    return start;
  }
}
