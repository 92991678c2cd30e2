import { type IncomingMessage, type OutgoingHttpHeader, ServerResponse } from 'node:http';

const noProgress = (): void => undefined;

/**
 * The response class of the engine's HTTP server (`http.createServer({ ServerResponse: HardenedResponse })`).
 * It counts the body bytes and reports every write (`onProgress` feeds the connection's idle timer), and makes
 * late calls harmless: setHeader/removeHeader/writeHead after the headers went out, and write/end after the
 * response ended, become no-ops instead of throwing ERR_HTTP_HEADERS_SENT from inside a stream callback, where
 * nothing would catch it (a response that fails halfway, e.g. a file read error after the headers).
 *
 * A subclass rather than five closures put on each response after Node made it: Node's HTTP code then met
 * responses in two shapes, and each call of write or end went to a function made for that one request; the
 * subclass cut a keep-alive GET's turnaround by 12–17 % (docs/performance.md, "Latest results (end of session
 * 17): a small request's layers").
 */
export class HardenedResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  /** Body bytes written so far. */
  bytesOut = 0;
  /** Called on every write and end; set by whoever serves the connection. */
  onProgress: () => void = noProgress;

  override setHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) return this;
    return super.setHeader(name, value);
  }

  override removeHeader(name: string): void {
    if (!this.headersSent) super.removeHeader(name);
  }

  override writeHead(...args: unknown[]): this {
    if (this.headersSent) return this;
    return Reflect.apply(ServerResponse.prototype.writeHead, this, args) as this;
  }

  override write(chunk: unknown, ...rest: unknown[]): boolean {
    if (this.isOver()) return false;
    this.bytesOut += byteLength(chunk, rest[0]);
    this.onProgress();
    return Reflect.apply(ServerResponse.prototype.write, this, [chunk, ...rest]) as boolean;
  }

  override end(...args: unknown[]): this {
    if (this.isOver()) return this;
    const [chunk, encoding] = args;
    if (typeof chunk !== 'function') this.bytesOut += byteLength(chunk, encoding);
    this.onProgress();
    return Reflect.apply(ServerResponse.prototype.end, this, args) as this;
  }

  private isOver(): boolean {
    return this.writableEnded || this.destroyed;
  }
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
