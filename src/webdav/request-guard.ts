import type { IncomingHttpHeaders } from 'node:http';
import { headerText } from './header-value';
import { isLocalHostHeader, isLocalOrigin, isWellFormedHost } from './local-host-header';
import { ABSOLUTE_URL, displayPath, parseRequestTarget } from './request-target';
import { isTempName } from './share-temp-files';

/** The longest name one path component may have on the host file systems we serve (ext4, btrfs, xfs, ...). */
const MAX_NAME_BYTES = 255;

export type GuardDecision =
  | { readonly kind: 'reject'; readonly status: number; readonly message: string; readonly path?: string }
  | {
      readonly kind: 'accept';
      readonly method: string;
      readonly segments: readonly string[];
      /** The decoded path, for records. */
      readonly path: string;
      /** The target ends in `/`: it names a folder, never a file (a file so named is 404, a PUT to it refused). */
      readonly trailingSlash: boolean;
      /** Headers with the ambiguous ones rewritten (Destination, Overwrite) and If removed (read apart). */
      readonly headers: IncomingHttpHeaders;
      /** COPY/MOVE: the destination's segments from `/`. */
      readonly destination?: readonly string[];
      /** COPY/MOVE: the Destination ends in `/`, so it names a folder (a file copied or moved there is 409). */
      readonly destinationTrailingSlash?: boolean;
    };

export interface GuardedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Take a Host header of any name (EngineOptions.acceptAnyHost), not only local ones. */
  readonly anyHost?: boolean;
  /** How many Host header lines the request carried (Node keeps only the first): more than one is a 400. */
  readonly hostLines?: number;
}

/**
 * Decides, from the request line and headers alone, whether a request's target and headers can be read, and
 * reads them once: the Host (a local name, or 421: local-host-header.ts), the path into plain segments (bad %-escapes, NUL and fragments: 400; climbing above `/`:
 * 403), names we reserve or the host cannot hold, the Destination and Overwrite of COPY and MOVE. Pure.
 * Which methods apply where is the dispatch table's business (method-table.ts), not the guard's.
 */
export function guardRequest(request: GuardedRequest): GuardDecision {
  const method = request.method.toUpperCase();
  // RFC 9112 §3.2.2: an absolute-form target's authority is the host the request is for (its Host header is
  // to be ignored), so it must be a local name too; both are checked.
  const authority = ABSOLUTE_URL.exec(request.url)?.[2]?.replace(/^.*@/, '');
  const host =
    authority !== undefined && !isLocalHostHeader(authority)
      ? authority
      : headerText(request.headers['host']);
  // RFC 9112 §3.2: a request with more than one Host, or a malformed one, is a 400.
  if ((request.hostLines ?? 1) > 1) return reject(400, 'The request has more than one Host header.');
  if (host !== undefined && host !== '' && !isWellFormedHost(host))
    return reject(400, 'The Host header is not a host name or address (with an optional port).');
  if (request.anyHost !== true && !isLocalHostHeader(host))
    return reject(
      421,
      `This WebDAV server answers requests addressed to localhost, not to "${host ?? ''}"; ` +
        'open http://localhost:9843/ in the guest (a page that renamed itself to this address cannot reach it).',
    );
  const origin = headerText(request.headers['origin']);
  if (request.anyHost !== true && origin !== undefined && !isLocalOrigin(origin))
    return reject(
      403,
      `Requests from web pages are refused (Origin "${origin}"); WebDAV clients send none. ` +
        'Open the share with a file manager or a WebDAV client in the guest.',
    );
  // RFC 9110 §9.3.7: `OPTIONS *` asks about the server as a whole; its capabilities are those of `/`.
  const url = method === 'OPTIONS' && request.url === '*' ? '/' : request.url;
  const target = parseRequestTarget(url);
  if (target.kind === 'malformed') return reject(400, `Bad request target: ${target.reason}.`);
  if (target.kind === 'escapes') return reject(403, 'The path leaves the shared folder.');
  const path = displayPath(target.segments);
  const badName = nameProblem(target.segments);
  if (badName) return { ...badName, path };
  const headers: IncomingHttpHeaders = { ...request.headers };
  delete headers['if'];

  // RFC 9112 §6.1: a transfer coding the server does not understand is 501. Node's parser frames a body whose
  // last coding is chunked and hands over the rest as it came: a PUT of "gzip, chunked" stored the gzip stream.
  const codings = headerText(headers['transfer-encoding']);
  if (codings !== undefined && codings.trim().toLowerCase() !== 'chunked')
    return reject(
      501,
      'Only the chunked transfer coding is supported; send the body as it is (Content-Length or chunked).',
      path,
    );
  if (method === 'PUT' && headers['content-range'] !== undefined)
    return reject(400, 'Partial PUT (Content-Range) is not supported; send the whole file.', path);
  if (method === 'MKCOL' && hasBody(headers))
    return reject(415, 'MKCOL with a request body is not supported.', path);
  if (method === 'PROPFIND' && !isValidDepth(headerText(headers['depth'])))
    return reject(400, 'Depth must be 0, 1 or infinity.', path);

  let destination: { readonly segments: readonly string[]; readonly trailingSlash: boolean } | undefined;
  if (method === 'COPY' || method === 'MOVE') {
    const rewritten = rewriteDestination(headers, headerText(request.headers['host']));
    if (rewritten.kind === 'reject') return { ...rewritten, path };
    destination = rewritten;
  }
  return {
    ...(destination === undefined
      ? {}
      : { destination: destination.segments, destinationTrailingSlash: destination.trailingSlash }),
    kind: 'accept',
    method,
    segments: target.segments,
    path,
    trailingSlash: target.trailingSlash,
    headers,
  };
}

/** Rewrites Destination to its canonical form and Overwrite to T/F in place; a rejection if invalid. */
function rewriteDestination(
  headers: IncomingHttpHeaders,
  host: string | undefined,
):
  | Extract<GuardDecision, { kind: 'reject' }>
  | { readonly kind: 'destination'; readonly segments: readonly string[]; readonly trailingSlash: boolean } {
  const raw = headers['destination'];
  if (typeof raw !== 'string' || raw.trim() === '') return reject(400, 'Destination header is missing.');
  const decoded = headerBytesAsUtf8(raw)?.trim();
  if (decoded === undefined)
    return reject(400, 'Bad Destination: its bytes are not UTF-8 (percent-encode the path as UTF-8).');
  // A URI reference that starts with "//" names a host (RFC 3986 §4.2), not the path "/x" of this one.
  const destination = decoded.startsWith('//') ? `http:${decoded}` : decoded;
  const parsed = parseRequestTarget(destination);
  if (parsed.kind === 'malformed') return reject(400, `Bad Destination: ${parsed.reason}.`);
  if (parsed.kind === 'escapes') return reject(403, 'The Destination leaves the shared folder.');
  if (!isSameServer(destination, host))
    return reject(502, 'The Destination is on another server; copy or move within this one.');
  const badName = nameProblem(parsed.segments);
  if (badName) return badName;
  const overwrite = (headerText(headers['overwrite']) ?? 'T').trim().toUpperCase();
  if (overwrite !== 'T' && overwrite !== 'F') return reject(400, 'Overwrite must be T or F.');
  headers['overwrite'] = overwrite; // RFC 4918 §10.6: absent means T.
  return { kind: 'destination', segments: parsed.segments, trailingSlash: parsed.trailingSlash };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value as the guest meant it. Node hands header values over as latin1, one character per byte;
 * WebDAV clients percent-encode a Destination, but one typed for curl carries the name's UTF-8 bytes as they
 * are, and read as latin1 they would name another file (`dÃ©st.txt` for `dést.txt`). Undefined when the
 * bytes are not UTF-8.
 */
function headerBytesAsUtf8(value: string): string | undefined {
  if (!/[\u0080-\u00ff]/.test(value)) return value; // latin1: nothing above U+00FF
  try {
    return STRICT_UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return undefined;
  }
}

/** An absolute Destination names the server of the Host header (default ports aside); a path always does. */
function isSameServer(destination: string, host: string | undefined): boolean {
  const absolute = ABSOLUTE_URL.exec(destination);
  if (absolute === null || host === undefined) return true;
  const defaultPort = absolute[1]?.toLowerCase() === 'https' ? ':443' : ':80';
  const bare = (authority: string) => {
    const lower = authority.trim().toLowerCase();
    return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
  };
  return bare(absolute[2] ?? '') === bare(host);
}

/** A name that is ours (temp files) or longer than the file system allows, refused before any lookup. */
function nameProblem(segments: readonly string[]): Extract<GuardDecision, { kind: 'reject' }> | undefined {
  for (const name of segments) {
    if (isTempName(name)) return reject(403, 'Names starting with .spice-webdav-upload- are reserved.');
    if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
      return reject(414, `A name in the path is longer than ${MAX_NAME_BYTES} bytes, the host's limit.`);
  }
  return undefined;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

function isValidDepth(depth: string | undefined): boolean {
  return depth === undefined || ['0', '1', 'infinity'].includes(depth.trim().toLowerCase());
}

function reject(status: number, message: string, path?: string): Extract<GuardDecision, { kind: 'reject' }> {
  return path === undefined ? { kind: 'reject', status, message } : { kind: 'reject', status, message, path };
}
