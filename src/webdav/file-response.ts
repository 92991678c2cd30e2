import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseByteRange } from './byte-range';
import { sendText } from './connection-host';
import { contentTypeFor } from './content-type';
import { entityTag } from './entity-tag';
import { headerText } from './header-value';
import { MUX_MAX_PAYLOAD } from '../wire/constants';
import type { Location } from './path-confinement';

/**
 * File reads are a whole number of mux frames (4 × 65535 bytes), so each frame is a view of one read: nothing
 * is copied or re-joined between the disk and the socket. Larger reads cost less per byte, but every open
 * download holds one.
 */
const READ_BYTES = 4 * MUX_MAX_PAYLOAD;

/**
 * GET and HEAD of a file, answered by us rather than the library so that responses carry ETag and
 * Last-Modified, honour If-None-Match / If-Modified-Since (304) and If-Match (412), and report the real
 * length in Content-Range. Content is streamed from disk.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  location: Location,
  name: string,
): Promise<void> {
  const stats =
    location.kind === 'inside' && location.exists ? await statOrUndefined(location.real) : undefined;
  if (!stats || location.kind !== 'inside' || !(stats.isFile() || stats.isDirectory()))
    return sendText(res, 404, 'Not found.\n');
  if (stats.isDirectory())
    return sendText(res, 405, 'This is a folder; list it with PROPFIND.\n', { Allow: 'OPTIONS, PROPFIND' });

  const etag = entityTag(stats);
  const lastModified = stats.mtime.toUTCString();
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified);
  res.setHeader('Accept-Ranges', 'bytes');
  const precondition = evaluatePreconditions(req, etag, stats);
  if (precondition !== undefined) {
    res.statusCode = precondition;
    res.end();
    return;
  }

  const range = rangeApplies(req, etag, lastModified)
    ? parseByteRange(req.headers.range, stats.size)
    : ({ kind: 'whole' } as const);
  if (range.kind === 'unsatisfiable')
    return sendText(res, 416, 'Requested range not satisfiable.\n', {
      'Content-Range': `bytes */${stats.size}`,
    });
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, stats.size - 1];
  res.statusCode = range.kind === 'partial' ? 206 : 200;
  if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${stats.size}`);
  res.setHeader('Content-Type', contentTypeFor(name));
  res.setHeader('Content-Length', Math.max(0, end - start + 1));
  if (req.method === 'HEAD' || stats.size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(location.real, { start, end, highWaterMark: READ_BYTES }), res);
  } catch {
    res.destroy(); // headers are out: the only honest signal left is cutting the connection
  }
}

async function statOrUndefined(real: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(real);
  } catch {
    return undefined;
  }
}

function evaluatePreconditions(req: IncomingMessage, etag: string, stats: Stats): number | undefined {
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && !matchesTag(ifMatch, etag, false)) return 412;
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return matchesTag(ifNoneMatch, etag, true) ? 304 : undefined;
  const ifModifiedSince = Date.parse(req.headers['if-modified-since'] ?? '');
  if (!Number.isNaN(ifModifiedSince) && Math.floor(stats.mtimeMs / 1000) * 1000 <= ifModifiedSince)
    return 304;
  return undefined;
}

function matchesTag(header: string, etag: string, weak: boolean): boolean {
  const bare = (tag: string) => (weak ? tag.replace(/^W\//, '') : tag);
  return header
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || bare(tag) === bare(etag));
}

/** If-Range: serve the range only while the validator still matches, else the whole file. */
function rangeApplies(req: IncomingMessage, etag: string, lastModified: string): boolean {
  const ifRange = headerText(req.headers['if-range']);
  return ifRange === undefined || ifRange.trim() === etag || ifRange.trim() === lastModified;
}
