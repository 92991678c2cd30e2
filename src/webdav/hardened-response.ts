import type { OutgoingHttpHeader, ServerResponse } from 'node:http';

/**
 * Counts a response's body bytes and reports every write (it feeds the idle timer), and makes late calls
 * harmless: setHeader/removeHeader/writeHead after the headers went out, and write/end after the response
 * ended, become no-ops instead of throwing ERR_HTTP_HEADERS_SENT from inside a stream callback, where
 * nothing would catch it (a response that fails halfway, e.g. a file read error after the headers).
 */
export interface ResponseMeter {
  bytesOut(): number;
}

export interface HardeningOptions {
  readonly onProgress: () => void;
}

export function hardenResponse(res: ServerResponse, options: HardeningOptions): ResponseMeter {
  let bytesOut = 0;
  const original = {
    setHeader: res.setHeader,
    removeHeader: res.removeHeader,
    writeHead: res.writeHead,
    write: res.write,
    end: res.end,
  };
  const ended = () => res.writableEnded || res.destroyed;

  const setHeader = (name: string, value: OutgoingHttpHeader) => {
    if (res.headersSent) return res;
    return Reflect.apply(original.setHeader, res, [name, value]) as ServerResponse;
  };
  const removeHeader = (name: string) => {
    if (!res.headersSent) Reflect.apply(original.removeHeader, res, [name]);
  };
  const writeHead = (...args: unknown[]) => {
    if (res.headersSent) return res;
    return Reflect.apply(original.writeHead, res, args) as ServerResponse;
  };
  const write = (chunk: unknown, ...rest: unknown[]) => {
    if (ended()) return false;
    bytesOut += byteLength(chunk, rest[0]);
    options.onProgress();
    return Reflect.apply(original.write, res, [chunk, ...rest]) as boolean;
  };
  const end = (...args: unknown[]) => {
    if (ended()) return res;
    const [chunk, encoding] = args;
    if (typeof chunk !== 'function') bytesOut += byteLength(chunk, encoding);
    options.onProgress();
    return Reflect.apply(original.end, res, args) as ServerResponse;
  };

  res.setHeader = setHeader as typeof res.setHeader;
  res.removeHeader = removeHeader;
  res.writeHead = writeHead as typeof res.writeHead;
  res.write = write as typeof res.write;
  res.end = end as typeof res.end;
  return { bytesOut: () => bytesOut };
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
