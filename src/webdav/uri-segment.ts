/**
 * A name as one path segment of an URI: every character outside RFC 3986's unreserved and sub-delims (and
 * : @) percent-encoded as UTF-8, controls included; never throws (a lone surrogate becomes U+FFFD's bytes).
 */
export function encodeSegment(segment: string): string {
  return segment.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, (c) =>
    [...Buffer.from(c, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}
