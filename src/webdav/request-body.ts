import type { IncomingMessage } from 'node:http';

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
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      onBytes(chunk.length);
      if (total > maxBytes) {
        cleanup();
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: 'complete', body: Buffer.concat(chunks, total) });
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
