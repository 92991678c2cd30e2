import { announcedLength, announcedLengthOfPieces } from '../../../../src/edge/sharing/announced-length';

describe('announcedLengthOfPieces', () => {
  const head = Buffer.from('PUT /big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 134217728\r\n\r\nbody');

  it('reads a head cut into pieces anywhere as if it were whole', () => {
    for (let cut = 0; cut <= head.length; cut++) {
      const pieces = [head.subarray(0, cut), head.subarray(cut)].filter((piece) => piece.length > 0);
      expect(announcedLengthOfPieces(pieces)).toBe(134217728);
    }
  });

  it('says nothing for body bytes or no bytes', () => {
    expect(announcedLengthOfPieces([])).toBeUndefined();
    expect(announcedLengthOfPieces([Buffer.from('body'), Buffer.from('more')])).toBeUndefined();
    expect(announcedLength(Buffer.from('body'))).toBeUndefined();
  });
});
