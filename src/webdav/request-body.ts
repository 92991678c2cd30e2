import type { IncomingMessage } from 'node:http';
import { ChunkGatherer } from './chunk-gatherer';

export type BodyRead = { readonly kind: 'complete'; readonly body: Buffer } | { readonly kind: 'too-large' };

/**
 * Reads a small (XML) request body into memory, refusing more than `maxBytes` (a declared Content-Length
 * beyond it is refused before anything is read; a chunked body as soon as it outgrows it). A body that stops short of its Content-Length simply
 * never completes; the connection's idle timer ends it.
 */
export function readSmallBody(
  req: IncomingMessage,
  maxBytes: number,
  onBytes: (n: number) => void,
): Promise<BodyRead> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve, reject) => {
    // A guest's chunks of one byte each are copied together, not held as a view each (chunk-gatherer.ts).
    const chunks = new ChunkGatherer();
    const onData = (chunk: Buffer) => {
      onBytes(chunk.length);
      if (chunks.bytes + chunk.length > maxBytes) {
        cleanup();
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.add(chunk);
    };
    const onEnd = () => {
      cleanup();
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
    const cleanup = () => {
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
