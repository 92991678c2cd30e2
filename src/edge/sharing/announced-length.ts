const REQUEST_LINE = /^[A-Z]{3,16} \S+ HTTP\/1\.[01]\r\n/;
const STATUS_LINE = /^HTTP\/1\.[01] \d{3}[ \r]/;
/** Enough for any head we care about; a Content-Length further in is simply not seen. */
const LOOK_AT = 8192;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The Content-Length of the HTTP message whose head starts at the very beginning of `chunk`, or undefined.
 * A hint for progress and ETA only: heads that start mid-frame (pipelining, keep-alive) are not looked for,
 * and a wrong guess costs a wrong ETA, nothing else.
 */
export function announcedLength(chunk: Buffer): number | undefined {
  // Every request and status line starts with a capital letter; most frames are body bytes and stop here.
  const first = chunk[0];
  if (first === undefined || first < 0x41 || first > 0x5a) return undefined;
  // Only the head (with its last line's CRLF) becomes a string: a small answer's frame is its head and body.
  const looked = chunk.subarray(0, LOOK_AT);
  const end = looked.indexOf(HEAD_END);
  const headers = (end === -1 ? looked : looked.subarray(0, end + 2)).toString('latin1');
  if (!REQUEST_LINE.test(headers) && !STATUS_LINE.test(headers)) return undefined;
  const match = /\r\ncontent-length:[ \t]*(\d{1,15})[ \t]*(?:\r\n|$)/i.exec(headers);
  return match === null ? undefined : Number(match[1]);
}

/**
 * `announcedLength` of a frame that came as pieces: only the first piece is looked at, unless the head may
 * go on in the next ones (a request line starts it and it is shorter than what is looked at); then the first
 * LOOK_AT bytes are joined, a copy of a few KiB at most and only for frames that start like a head.
 */
export function announcedLengthOfPieces(pieces: readonly Buffer[]): number | undefined {
  const first = pieces[0];
  if (first === undefined) return undefined;
  if (pieces.length === 1 || first.length >= LOOK_AT) return announcedLength(first);
  const letter = first[0];
  if (letter === undefined || letter < 0x41 || letter > 0x5a) return undefined;
  const head: Buffer[] = [];
  let length = 0;
  for (const piece of pieces) {
    if (length >= LOOK_AT) break;
    const part = piece.subarray(0, LOOK_AT - length);
    head.push(part);
    length += part.length;
  }
  return announcedLength(Buffer.concat(head, length));
}
