import type { IncomingHttpHeaders } from 'node:http';
import { headerText } from './header-value';
import { isAllowedWhenReadOnly } from './read-only-policy';
import { canonicalUrlPath, displayPath, parseRequestTarget } from './request-target';
import { isTempName } from './share-temp-files';

/** The longest name one path component may have on the host file systems we serve (ext4, btrfs, xfs, ...). */
const MAX_NAME_BYTES = 255;

/** Methods we answer ourselves (content, properties, locks), those we hand to webdav-server, nothing else. */
export type Route = 'get' | 'head' | 'put' | 'propfind' | 'proppatch' | 'lock' | 'unlock' | 'library';

const OWN_ROUTES: Readonly<Record<string, Route>> = {
  GET: 'get',
  HEAD: 'head',
  PUT: 'put',
  PROPFIND: 'propfind',
  PROPPATCH: 'proppatch',
  LOCK: 'lock',
  UNLOCK: 'unlock',
};

const LIBRARY_METHODS = new Set(['OPTIONS', 'MKCOL', 'COPY', 'MOVE', 'DELETE']);

export type GuardDecision =
  | { readonly kind: 'reject'; readonly status: number; readonly message: string; readonly path?: string }
  | {
      readonly kind: 'accept';
      readonly route: Route;
      readonly method: string;
      readonly segments: readonly string[];
      /** The decoded path, for records. */
      readonly path: string;
      /** The canonical target: the library re-parses it into exactly `segments`. */
      readonly url: string;
      /** Headers with the dangerous or ambiguous ones rewritten (If, Destination, Overwrite). */
      readonly headers: IncomingHttpHeaders;
      /** COPY/MOVE: the destination's segments inside the share. */
      readonly destination?: readonly string[];
    };

export interface GuardedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Decides, from the request line and headers alone, whether a request may reach the engine, and in which
 * shape. Pure. Every request that kills webdav-server 2.6.3 is answered here with a clean 4xx:
 * bad %-escapes and NUL in the path or Destination (400). The `If` header never reaches the library (its
 * parser crashes on the untagged form): the engine evaluates it, and the lock tokens in it, itself.
 */
export function guardRequest(request: GuardedRequest, readOnly: boolean): GuardDecision {
  const method = request.method.toUpperCase();
  if (readOnly && !isAllowedWhenReadOnly(method))
    return reject(403, `This folder is shared read-only: ${method} is not allowed.`);
  const route = routeOf(method);
  if (route === undefined) return reject(method === 'POST' ? 405 : 501, `${method} is not supported here.`);

  const target = parseRequestTarget(request.url);
  if (target.kind === 'malformed') return reject(400, `Bad request target: ${target.reason}.`);
  if (target.kind === 'escapes') return reject(403, 'The path leaves the shared folder.');
  const path = displayPath(target.segments);
  const badName = nameProblem(target.segments);
  if (badName) return { ...badName, path };
  const headers: IncomingHttpHeaders = { ...request.headers };
  delete headers['if'];

  const atRoot = target.segments.length === 0;
  if (atRoot && (method === 'DELETE' || method === 'MOVE' || method === 'COPY'))
    return reject(403, `${method} of the shared folder itself is not allowed.`, path);
  if (method === 'PUT' && headers['content-range'] !== undefined)
    return reject(400, 'Partial PUT (Content-Range) is not supported; send the whole file.', path);
  if (method === 'MKCOL' && hasBody(headers))
    return reject(415, 'MKCOL with a request body is not supported.', path);
  if (method === 'PROPFIND' && !isValidDepth(headerText(headers['depth'])))
    return reject(400, 'Depth must be 0, 1 or infinity.', path);

  let destination: readonly string[] | undefined;
  if (method === 'COPY' || method === 'MOVE') {
    const rewritten = rewriteDestination(headers, headerText(request.headers['host']));
    if (rewritten.kind === 'reject') return { ...rewritten, path };
    destination = rewritten.segments;
  }
  return {
    ...(destination === undefined ? {} : { destination }),
    kind: 'accept',
    route,
    method,
    segments: target.segments,
    path,
    url: canonicalUrlPath(target.segments, target.trailingSlash),
    headers,
  };
}

function routeOf(method: string): Route | undefined {
  return OWN_ROUTES[method] ?? (LIBRARY_METHODS.has(method) ? 'library' : undefined);
}

/** Rewrites Destination to its canonical form and Overwrite to T/F in place; a rejection if invalid. */
function rewriteDestination(
  headers: IncomingHttpHeaders,
  host: string | undefined,
):
  | Extract<GuardDecision, { kind: 'reject' }>
  | { readonly kind: 'destination'; readonly segments: readonly string[] } {
  const destination = headers['destination'];
  if (typeof destination !== 'string' || destination.trim() === '')
    return reject(400, 'Destination header is missing.');
  const parsed = parseRequestTarget(destination.trim());
  if (parsed.kind === 'malformed') return reject(400, `Bad Destination: ${parsed.reason}.`);
  if (parsed.kind === 'escapes') return reject(403, 'The Destination leaves the shared folder.');
  if (parsed.segments.length === 0) return reject(403, 'The Destination cannot be the shared folder itself.');
  if (!isSameServer(destination.trim(), host))
    return reject(502, 'The Destination is on another server; copy or move within this one.');
  const badName = nameProblem(parsed.segments);
  if (badName) return badName;
  headers['destination'] = canonicalUrlPath(parsed.segments, parsed.trailingSlash);
  const overwrite = (headerText(headers['overwrite']) ?? 'T').trim().toUpperCase();
  if (overwrite !== 'T' && overwrite !== 'F') return reject(400, 'Overwrite must be T or F.');
  headers['overwrite'] = overwrite; // RFC 4918 §10.6: absent means T; the library treats absent as F.
  return { kind: 'destination', segments: parsed.segments };
}

const ABSOLUTE = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i;

/** An absolute Destination names the server of the Host header (default ports aside); a path always does. */
function isSameServer(destination: string, host: string | undefined): boolean {
  const absolute = ABSOLUTE.exec(destination);
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
