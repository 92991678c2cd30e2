import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export type BodyRead = { readonly kind: 'complete'; readonly body: Buffer } | { readonly kind: 'too-large' };

/**
 * Reads a small (XML) request body into memory, refusing more than `maxBytes`. The library would allocate
 * a Buffer of whatever Content-Length the guest claims (a RangeError, i.e. a crash, for absurd values) and
 * ignores chunked bodies of non-PUT methods altogether. A body that stops short of its Content-Length simply
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

/**
 * What webdav-server reads from a request (method, url, headers and 'data' events), rebuilt from the body we
 * already read. Created inside the request's isolation domain, so its events run there too.
 */
export function syntheticRequest(
  original: IncomingMessage,
  url: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Readable {
  const rebuiltHeaders: IncomingHttpHeaders = { ...headers, 'content-length': String(body.length) };
  delete rebuiltHeaders['transfer-encoding'];
  return Object.assign(Readable.from(body.length > 0 ? [body] : []), {
    method: original.method,
    url,
    headers: rebuiltHeaders,
    httpVersion: original.httpVersion,
    socket: original.socket,
  });
}
