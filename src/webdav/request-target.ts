/**
 * Turns an HTTP request target (or a Destination header) into the list of path segments inside the share.
 * Pure: no file system access. Everything a guest can put in a URL is decoded exactly once, strictly, and
 * every way of spelling "go up" (raw `..`, `%2e%2e`, `%2f`, absolute-form targets) is resolved here, so later
 * layers only ever see plain names. A backslash is an ordinary character of a name, as on the host's file
 * system: `a%5Cb` names the file `a\b`, never `a/b` (listings spell such a name that way too).
 */
export type ParsedTarget =
  | { readonly kind: 'inside'; readonly segments: readonly string[]; readonly trailingSlash: boolean }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'escapes'; readonly reason: string };

/** The scheme and authority of an absolute URL ("http://host:port"): groups 1 and 2. The one copy. */
export const ABSOLUTE_URL = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i;
const BAD_PERCENT = /%(?![0-9a-f]{2})/i;

export function parseRequestTarget(raw: string): ParsedTarget {
  if (raw.includes('#')) return { kind: 'malformed', reason: 'fragment in request target' };
  let pathPart = raw.replace(ABSOLUTE_URL, '');
  const queryStart = pathPart.indexOf('?');
  if (queryStart !== -1) pathPart = pathPart.slice(0, queryStart);
  if (pathPart === '') pathPart = '/';
  if (!pathPart.startsWith('/'))
    return { kind: 'malformed', reason: 'request target is not an absolute path' };
  return resolveSegments(pathPart);
}

function resolveSegments(pathPart: string): ParsedTarget {
  const resolved: string[] = [];
  for (const rawSegment of pathPart.split('/')) {
    const decoded = strictDecode(rawSegment);
    if (decoded === undefined)
      return {
        kind: 'malformed',
        reason: /%(?![0-9a-f]{2})/i.test(rawSegment)
          ? 'malformed %-escape in path'
          : 'the %-escaped path is not UTF-8 (names are UTF-8 here)',
      };
    if (decoded.includes('\0')) return { kind: 'malformed', reason: 'NUL byte in path' };
    // A decoded '/' cannot be part of a name on the host: it separates, as a raw one would.
    for (const name of decoded.split('/')) {
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (resolved.length === 0) return { kind: 'escapes', reason: 'path climbs above the share root' };
        resolved.pop();
        continue;
      }
      resolved.push(name);
    }
  }
  return { kind: 'inside', segments: resolved, trailingSlash: pathPart.length > 1 && pathPart.endsWith('/') };
}

function strictDecode(segment: string): string | undefined {
  if (BAD_PERCENT.test(segment)) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The one spelling of a path that parses back into exactly the same segments. */
export function canonicalUrlPath(segments: readonly string[], trailingSlash: boolean): string {
  const joined = '/' + segments.map(encodeURIComponent).join('/');
  return trailingSlash && segments.length > 0 ? joined + '/' : joined;
}

/** The decoded path for records and messages, e.g. "/docs/a b.txt". */
export function displayPath(segments: readonly string[]): string {
  return '/' + segments.join('/');
}
