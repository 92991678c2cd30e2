import type { IncomingMessage } from 'node:http';
import { ChunkGatherer } from './chunk-gatherer';
import { HoldBudget } from './hold-budget';
import type { GoneSignal } from './request-gone';

export type BodyRead =
  | { readonly kind: 'complete'; readonly body: Buffer }
  | { readonly kind: 'too-large' }
  /** Bodies read whole by all connections together hold all `largeBodyUnits` allow: refused, try later. */
  | { readonly kind: 'busy' };

/** What one body read whole may hold without asking `largeBodyUnits` (a small PUT's most; XML rarely more). */
export const FREE_BODY_BYTES = 64 * 1024;

/**
 * The bytes bodies read whole hold beyond FREE_BODY_BYTES each, across every connection, in units of 64 KiB:
 * 128 (8 MiB). Each connection may read an XML body of up to 1 MiB, and a guest can open 256 connections and
 * stop each body just short of its end, or send it whole while the namespace lock is held by a long MOVE:
 * 256 MiB held. With the budget, held from the first byte until the answer is over, the same guest holds
 * 256 × 64 KiB + 8 MiB (24 MiB); a body that finds the budget spent is refused (503).
 */
export const largeBodyUnits = new HoldBudget(128);
export const UNIT_BYTES = 64 * 1024;

/** What a request that declares no body reads. */
const NO_BODY: BodyRead = { kind: 'complete', body: Buffer.alloc(0) };

/**
 * The body length a request declares: its Content-Length, 0 when it has neither that nor Transfer-Encoding
 * (RFC 9112 §6.3: no body), undefined for a chunked body (whose length is known only at its end). Node's
 * parser has already refused a request with both, or with a Content-Length that is not a number.
 */
export function declaredBodyLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  return Number(req.headers['content-length'] ?? 0);
}

/**
 * Reads a small (XML) request body into memory, refusing more than `maxBytes` (a declared Content-Length
 * beyond it is refused before anything is read; a chunked body as soon as it outgrows it). A body that stops short of its Content-Length simply
 * never completes; the connection's idle timer ends it. A request with neither Transfer-Encoding nor a
 * Content-Length above 0 has no body (RFC 9112 §6.3) and is answered at once (MKCOL, most PROPFINDs):
 * waiting for its stream's end took the handler 16–20 µs at a user's pace, against 7–11 now (docs/
 * performance.md, "Latest results (session 20)"); Node's server discards the ended stream itself once the
 * response is sent.
 */
export function readSmallBody(
  req: IncomingMessage,
  maxBytes: number,
  onBytes: (n: number) => void,
  heldUntil?: GoneSignal,
): Promise<BodyRead> {
  const declared = declaredBodyLength(req);
  if (declared === 0) return Promise.resolve(NO_BODY);
  if (declared !== undefined && declared > maxBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve, reject) => {
    // A guest's chunks of one byte each are copied together, not held as a view each (chunk-gatherer.ts).
    const chunks = new ChunkGatherer();
    const units: (() => void)[] = [];
    /** Takes the units of largeBodyUnits that `total` bytes need; false if the budget has none left. */
    const holdUnitsFor = (total: number): boolean => {
      const needed = Math.ceil(Math.max(0, total - FREE_BODY_BYTES) / UNIT_BYTES);
      while (units.length < needed) {
        const release = largeBodyUnits.take();
        if (release === undefined) return false;
        units.push(release);
      }
      return true;
    };
    const onData = (chunk: Buffer) => {
      onBytes(chunk.length);
      const total = chunks.bytes + chunk.length;
      if (total > maxBytes) {
        cleanup();
        resolve({ kind: 'too-large' });
        return;
      }
      if (!holdUnitsFor(total)) {
        cleanup();
        resolve({ kind: 'busy' });
        return;
      }
      chunks.add(chunk);
    };
    const onEnd = () => {
      cleanup(heldUntil);
      const total = chunks.bytes;
      const pieces = chunks.take();
      resolve({
        kind: 'complete',
        body: pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, total),
      });
    };
    const onAbort = () => {
      cleanup();
      reject(new Error('request aborted while reading its body'));
    };
    // The units go back once the body is refused, or once it is handed over: then, with `heldUntil`, only
    // once the request is gone (its answer is over). A body that waits for the namespace lock is held all that time,
    // and without its units counted, requests waiting behind a long MOVE held 1 MiB each, without bound.
    const cleanup = (keepUntil?: GoneSignal) => {
      const held = units.splice(0);
      const releaseAll = () => {
        for (const release of held) release();
      };
      if (keepUntil === undefined || keepUntil.gone) releaseAll();
      else if (held.length > 0) keepUntil.onGone(releaseAll);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}
