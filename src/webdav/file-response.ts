import { constants, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseByteRange } from './byte-range';
import { sendEmpty, sendText } from './connection-host';
import { contentTypeFor } from './content-type';
import { entityTag } from './entity-tag';
import { isAccessRefusal, poolFileCalls, type FileCalls } from './file-calls';
import { headerText } from './header-value';
import { CHANGED_SINCE, evaluateConditions } from './http-preconditions';
import { requestGone } from './request-gone';
import { folderIndexHtml, readFolderIndex, type IndexEntry } from './folder-index';
import { MUX_MAX_PAYLOAD } from '../wire/constants';
import { responseDrain } from './response-drain';
import { HoldBudget, ResponseHolds } from './hold-budget';
import { ReusableReadBuffers } from './reusable-read-buffers';
import { MuxConnection } from './session/mux-connection';
import { openedWithin } from './opened-within';
import { sameFile, type ShareNamespace } from './share-namespace';
import { statOrUndefined } from './stat-or-undefined';

/**
 * File reads are a whole number of mux frames (48 × 65535 bytes, 3 MiB), so each frame is a view of one read:
 * nothing is copied or re-joined between the disk and the socket. Each read is a trip to libuv's thread pool and
 * back (two wake-ups), and each read is one step of the select loop, one batch of frames and one socket write
 * (a client's credit window is one read): the JavaScript per read, and V8 compiling it, is what a GET costs
 * beyond the copies, so larger reads cost less per byte (8 frames until session 9, 32 until session 34:
 * docs/performance.md "Reads of 3 MiB (session 34)"; 64 cost more memory than they saved, see there). An open
 * download holds one read in its connection and, while a large read of the budget is free, one more read ahead
 * of it (sendRange); otherwise the next read starts only once the connection has taken all but its last 64 KiB.
 */
export const LARGE_READ_BYTES = 48 * MUX_MAX_PAYLOAD;

/**
 * At most 4 large reads (12 MiB) held at once by all downloads (hold-budget.ts); beyond that, reads are one
 * frame each. One download at full speed holds two to four: the read being sent (two while a batch spans the
 * end of one read and the start of the next, as it does after a response's head went out on the credit handed
 * out ahead), the one waiting in its connection, and the one read ahead. A read ahead (sendRange) is made
 * while any large read is free: one download alone reads each read ahead and sends it in one batch; beside
 * others, the reads ahead come out of what they leave free, and none is made while they hold the rest (their
 * own reads are never delayed: a download that finds the budget spent reads one frame at a time meanwhile).
 * 8 reads of 2 MiB (16 MiB) until session 34, a read ahead only while half of them were free; with reads of
 * 3 MiB that rule left a download whose batches span two reads no read ahead under 6 (18 MiB), and 16
 * downloads at once then peaked 4-8 MiB higher (docs/performance.md, "Reads of 3 MiB (session 34)").
 */
export const readBudget = new HoldBudget(4);

/**
 * Read buffers come back once the socket has written them (reusable-read-buffers.ts). One download has two or
 * three in use (one being read or read ahead, one in the connection, one in the credit window and the
 * socket). As many are kept free as the budget allows in use (4, 12 MiB), so the buffers of many downloads
 * come back to be read into again instead of being left to the garbage collector, which takes memory outside
 * V8's heap back only after tens of MiB. With 4 kept, 16 downloads at once after 4 took the process to a
 * peak RSS of 105–112 MiB (`npm run bench -- --only get16,get4`); with 8 and the one-frame reads below reused
 * too, 82–98 MiB. Keeping
 * only as many as the budget has free (fewer kept while many are in use) left more to the collector: 92–93
 * MiB (session 14). Two seconds after the last read they are let go: after those 16 downloads RSS fell from 83
 * to 67–72 MiB, and 20 PROPFINDs of 10,000 files after them peaked at 74 MiB instead of 89 (session 15).
 */
const readBuffers = new ReusableReadBuffers(LARGE_READ_BYTES, readBudget.limit);

/**
 * The one-frame reads of downloads that found the budget spent, reused the same way: a fresh 64 KiB per read
 * was garbage at the download's pace. 64 kept free (4 MiB): the socket gives frames back a write at a time,
 * dozens at once, and with 16 kept the bench's 16 concurrent downloads (8 beyond the budget, up to 71 frames
 * in flight) made 285 frame buffers and dropped 269 to the collector (18 MiB of garbage, peak RSS 91 MiB);
 * with 64, 67–68 made, 0–4 dropped, 82–84 MiB (session 15).
 */
const frameReadBuffers = new ReusableReadBuffers(MUX_MAX_PAYLOAD, 64);

/**
 * GET and HEAD of a file, answered by us rather than the library so that responses carry ETag and
 * Last-Modified, honour If-None-Match / If-Modified-Since (304) and If-Match (412), and report the real
 * length in Content-Range. Content is streamed from disk.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  space: ShareNamespace,
  segments: readonly string[],
  trailingSlash = false,
): Promise<void> {
  const opened = await space.lock.shared(async () => {
    const found = await openForReading(space, segments, trailingSlash);
    // A folder's page is read under the same lock that judged it a folder.
    return found.kind === 'folder'
      ? { kind: 'index' as const, ...(await readFolderIndex(space.rootReal, found.real)) }
      : found;
  }, requestGone(res));
  if (opened === undefined) return; // the guest went away while it waited
  if (opened.kind === 'missing') return sendText(res, 404, 'Not found.\n');
  if (opened.kind === 'index') return sendFolderPage(req, res, opened.entries, opened.more);
  const { fd, stats, calls } = opened;
  try {
    await sendOpenedFile(req, res, { fd, calls }, stats, segments.at(-1) ?? '');
  } finally {
    await calls.close(fd).catch(() => undefined);
  }
}

/** An open file and the calls its small reads and its close go through. */
interface OpenFile {
  readonly fd: number;
  readonly calls: FileCalls;
}

type Opened =
  | { readonly kind: 'file'; readonly fd: number; readonly stats: Stats; readonly calls: FileCalls }
  | { readonly kind: 'folder'; readonly real: string }
  | { readonly kind: 'missing' };

/**
 * A folder asked for with GET (a browser in the guest): a page of links, not the 405 a WebDAV client never
 * sees. The links are absolute, from the path as the request named it, so a folder named without its
 * trailing slash links right too. It runs nothing and loads nothing (CSP), whatever the names hold.
 */
function sendFolderPage(
  req: IncomingMessage,
  res: ServerResponse,
  entries: readonly IndexEntry[],
  more: boolean,
): void {
  const requested = (req.url ?? '/').split('?')[0] ?? '/';
  const path = requested.startsWith('/') ? requested : new URL(requested, 'http://localhost').pathname;
  const body = Buffer.from(folderIndexHtml(path.endsWith('/') ? path : `${path}/`, entries, more), 'utf8');
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', "default-src 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/**
 * Opens the resolved real path (under the namespace lock, so no guest request changes what it names), with
 * O_NOFOLLOW and O_NONBLOCK (a FIFO swapped in never blocks us), and checks that the descriptor is the regular
 * file the path named.
 */
async function openForReading(
  space: ShareNamespace,
  segments: readonly string[],
  trailingSlash: boolean,
): Promise<Opened> {
  const calls = space.calls;
  const location = await space.locate(segments);
  if (location.kind !== 'inside' || !location.exists) return { kind: 'missing' };
  const named = location.stats ?? (await statOrUndefined(location.real)); // the entry's, if no link
  if (named?.isDirectory()) return { kind: 'folder', real: location.real };
  if (!named?.isFile() || trailingSlash) return { kind: 'missing' }; // "a.txt/" names a folder, and there is none
  let fd: number;
  try {
    fd = await calls.open(location.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // Listed, but the host will not let this process open it (0600 of another user): the engine's 403
    // (connection-host.ts), not a 404 for a name the listing shows.
    if (isAccessRefusal(error)) throw error;
    return { kind: 'missing' };
  }
  const stats = await calls.fstat(fd).catch(() => undefined);
  if (stats?.isFile() === true && sameFile(stats, named) && openedWithin(space.rootReal, fd))
    return { kind: 'file', fd, stats, calls };
  await calls.close(fd).catch(() => undefined);
  return { kind: 'missing' };
}

/** Answers from an open file (the caller closes it). */
async function sendOpenedFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: OpenFile,
  stats: Stats,
  name: string,
): Promise<void> {
  const etag = entityTag(stats);
  const lastModified = stats.mtime.toUTCString();
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified);
  res.setHeader('Accept-Ranges', 'bytes');
  const verdict = evaluateConditions(req.headers, stats, true);
  if (verdict === 'not-modified') return sendEmpty(res, 304);
  if (verdict === 'failed') return sendText(res, 412, CHANGED_SINCE + '\n');

  const range = rangeApplies(req, etag)
    ? parseByteRange(req.headers.range, stats.size)
    : ({ kind: 'whole' } as const);
  if (range.kind === 'unsatisfiable') {
    sendText(res, 416, 'Requested range not satisfiable.\n', { 'Content-Range': `bytes */${stats.size}` });
    return;
  }
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
    await sendRange(file, res, start, end);
    res.end();
  } catch {
    res.destroy(); // headers are out: the only honest signal left is cutting the connection
  }
}

/**
 * Bytes `start` to `end` (inclusive) of the file, one read at a time into a buffer lent until the socket has
 * written it (the connection keeps views of it until their frames are sent). Each read of more than one frame
 * counts against `readBudget` from before it is made until the socket has written it, or the response is
 * over; when the budget is spent, reads are one frame each. A range of one frame or less is one read through
 * the file's calls (on the event loop where the share is local: a small file is answered without a trip to the
 * thread pool); every other read goes to the pool. Throws when the file ends early (it shrank: the announced
 * length can no longer be met) or the connection goes away.
 *
 * Over a mux connection, one read more may wait in the connection while less than half the read budget is
 * held (`acceptAhead`): the loop's next grant then finds a whole read there, and each read goes out as one
 * batch, one loop step and one socket write. Without it the next read was made only once a grant had taken the
 * last one, so it came after the grant, and every read went out in two batches, a few frames on the grant's
 * leftover credit and the rest on the next (docs/performance.md, session 31). Under a busier budget a download
 * reads only once the connection has room, as before, so reading ahead never costs another its large reads.
 */
async function sendRange(file: OpenFile, res: ServerResponse, start: number, end: number): Promise<void> {
  // Large reads of this response not yet written; a response that ends (or is cut off) gives them all back.
  const largeReads = new ResponseHolds(readBudget, res);
  const reads = end - start < MUX_MAX_PAYLOAD ? file.calls : poolFileCalls;
  const connection = res.socket instanceof MuxConnection ? res.socket : undefined;
  try {
    for (let position = start; position <= end;) {
      const left = end - position + 1;
      // Only a read of more than one frame is large (a file's tail too: it goes into a reusable buffer, so
      // files of a few MiB do not each allocate their own); a small file or tail takes nothing from the budget.
      const release = left > MUX_MAX_PAYLOAD ? largeReads.take() : undefined;
      const size = Math.min(release === undefined ? MUX_MAX_PAYLOAD : LARGE_READ_BYTES, left);
      // A read shorter than a frame (a small file, a tail) gets a buffer of its own size, as before: it is
      // usually joined with its head into one frame, so a reusable one would not come back.
      const buffers =
        release !== undefined ? readBuffers : size === MUX_MAX_PAYLOAD ? frameReadBuffers : undefined;
      const target = buffers?.take() ?? Buffer.allocUnsafe(size);
      const bytesRead = await reads.read(file.fd, target, size, position);
      buffers?.lend(target, bytesRead, release);
      if (bytesRead === 0) throw new Error('the file ended before its announced length');
      position += bytesRead;
      if (res.destroyed) throw new Error('the connection went away');
      connection?.acceptAhead(release !== undefined && readBudget.anyFree ? LARGE_READ_BYTES : 0);
      if (res.write(bytesRead === target.length ? target : target.subarray(0, bytesRead))) continue;
      if ((await responseDrain(res)) === 'closed') throw new Error('the connection went away');
    }
  } catch (error) {
    largeReads.giveAllBack();
    throw error;
  } finally {
    connection?.acceptAhead(0); // the next response on this keep-alive connection starts at the plain mark
  }
}

/**
 * If-Range: serve the range only while the entity tag still matches, else the whole file. A date is never
 * taken as a match: RFC 9110 §13.1.5 wants a strong one, and a modification time with one-second resolution
 * is not (a file rewritten within the same second keeps its Last-Modified, and a resumed download got the new
 * file's bytes spliced onto the old one's: a reviewer's finding, session 28). Clients resume with our ETag.
 */
function rangeApplies(req: IncomingMessage, etag: string): boolean {
  const ifRange = headerText(req.headers['if-range']);
  return ifRange === undefined || ifRange.trim() === etag;
}
