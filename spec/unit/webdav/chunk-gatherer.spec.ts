import { randomBytes } from 'node:crypto';
import { ChunkGatherer, COPY_BELOW_BYTES } from '../../../src/webdav/chunk-gatherer';

describe('ChunkGatherer: chunks of any size held in order as few buffers', () => {
  it('holds a million 1-byte chunks as 64 buffers of its own', () => {
    const content = randomBytes(1024 * 1024);
    const gatherer = new ChunkGatherer();
    for (let at = 0; at < content.length; at++) gatherer.add(content.subarray(at, at + 1));
    expect(gatherer.bytes).toBe(content.length);

    const pieces = gatherer.take();
    expect(pieces).toHaveLength(content.length / COPY_BELOW_BYTES);
    // Copies: none of them is a view of the guest's bytes.
    expect(pieces.every((piece) => piece.buffer !== content.buffer)).toBe(true);
    expect(Buffer.concat(pieces).equals(content)).toBe(true);
    expect(gatherer.bytes).toBe(0);
  });

  it('keeps large chunks as they are and small ones copied, in their order', () => {
    const sizes = [1, 70_000, 3, 3, COPY_BELOW_BYTES - 1, COPY_BELOW_BYTES, 2, 16_000, 500, 65_535, 7];
    const chunks = sizes.map((n) => randomBytes(n));
    const gatherer = new ChunkGatherer();
    for (const chunk of chunks) gatherer.add(chunk);

    const pieces = gatherer.take();
    expect(Buffer.concat(pieces).equals(Buffer.concat(chunks))).toBe(true);
    const large = chunks.filter((chunk) => chunk.length >= COPY_BELOW_BYTES);
    expect(large.every((chunk) => pieces.includes(chunk))).toBe(true); // the same objects: not copied
  });

  it('starts afresh after take', () => {
    const gatherer = new ChunkGatherer();
    gatherer.add(Buffer.from('ab'));
    expect(Buffer.concat(gatherer.take()).toString()).toBe('ab');
    gatherer.add(Buffer.from('cd'));
    expect(Buffer.concat(gatherer.take()).toString()).toBe('cd');
    expect(gatherer.take()).toEqual([]);
  });
});
