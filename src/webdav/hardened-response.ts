import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Makes a ServerResponse safe to hand to webdav-server:
 * - setHeader/removeHeader/writeHead after the headers went out, and write/end after the response ended,
 *   become no-ops (the library writes some responses twice, e.g. PROPPATCH with several blocks, and Node
 *   throws ERR_HTTP_HEADERS_SENT from inside a library callback, which would kill the process);
 * - headers we never want on the wire are dropped: CORS (Access-Control-*), the unconditional
 *   `WWW-Authenticate: Digest` challenge (guests would prompt for a password), and `Server`;
 * - `Lock-Token` gets the angle brackets RFC 4918 §10.5 requires;
 * - body bytes are counted and every write reports progress (it feeds the idle timer).
 */
export interface ResponseMeter {
  bytesOut(): number;
}

export interface HardeningOptions {
  /** Replaces the value of a header the caller wants to control, e.g. `Allow` in read-only mode. */
  readonly overrideHeader?: (lowerName: string) => string | undefined;
  readonly onProgress: () => void;
}

const DROPPED = /^(access-control-|www-authenticate$|server$)/i;

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
    if (res.headersSent || DROPPED.test(name)) return res;
    return Reflect.apply(original.setHeader, res, [
      name,
      adjustHeader(name, value, options),
    ]) as ServerResponse;
  };
  const removeHeader = (name: string) => {
    if (!res.headersSent) Reflect.apply(original.removeHeader, res, [name]);
  };
  const writeHead = (...args: unknown[]) => {
    if (res.headersSent) return res;
    const headers = args.find((arg): arg is OutgoingHttpHeaders => typeof arg === 'object' && arg !== null);
    if (headers && !Array.isArray(headers)) {
      for (const name of Object.keys(headers)) if (DROPPED.test(name)) delete headers[name];
    }
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

function adjustHeader(
  name: string,
  value: OutgoingHttpHeader,
  options: HardeningOptions,
): OutgoingHttpHeader {
  const lower = name.toLowerCase();
  const overridden = options.overrideHeader?.(lower);
  if (overridden !== undefined) return overridden;
  if (lower === 'lock-token' && typeof value === 'string' && !value.trim().startsWith('<'))
    return `<${value.trim()}>`;
  return value;
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
