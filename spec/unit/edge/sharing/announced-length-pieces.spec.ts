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

describe('announcedLength', () => {
  it('reads the Content-Length of a request or an answer head at the start of a frame', () => {
    expect(
      announcedLength(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n' + 'x'.repeat(4096))),
    ).toBe(4096);
    expect(announcedLength(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined(); // a head of one line
    expect(announcedLength(Buffer.from('PUT /a HTTP/1.1\r\ncontent-length:7\r\n\r\nbody'))).toBe(7);
  });

  it('does not take a Content-Length from the body after the head', () => {
    const frame = Buffer.from('HTTP/1.1 200 OK\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n');
    expect(announcedLength(frame)).toBeUndefined();
  });

  it('looks at the first 8 KiB of a head that does not end in them', () => {
    const long = 'PUT /a HTTP/1.1\r\nContent-Length: 12\r\nX-Pad: ' + 'p'.repeat(9000);
    expect(announcedLength(Buffer.from(long))).toBe(12);
    const late = 'PUT /a HTTP/1.1\r\nX-Pad: ' + 'p'.repeat(9000) + '\r\nContent-Length: 12\r\n\r\n';
    expect(announcedLength(Buffer.from(late))).toBeUndefined();
  });
});
