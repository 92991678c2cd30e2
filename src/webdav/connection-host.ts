import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { ConnectionCut } from './connection-cut';
import { ConnectionSerializer } from './connection-serializer';
import { ConnectionTimers } from './connection-timers';
import { isAccessRefusal } from './file-calls';
import { HardenedResponse } from './hardened-response';
import { watchesRequestBoundary, type RequestRecord, type ResolvedEngineOptions } from './types';

/** What a request handler can tell the host about the exchange it is serving. */
export interface Exchange {
  /** Body bytes consumed from the guest (also counts as activity for the idle timer). */
  consumed(bytes: number): void;
  /** The path to report in the RequestRecord, once known. */
  describe(path: string): void;
}

/** Answers one request. Resolves or rejects when it has nothing more to do; the host waits for the response. */
export type RequestHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  exchange: Exchange,
) => Promise<void>;

export interface HostOptions {
  readonly settings: ResolvedEngineOptions;
}

/**
 * Requests a connection may have parsed and not yet answered. Node parses every pipelined request at once,
 * whatever the previous answers do, and ours wait their turn (the serializer): without a bound a guest's
 * few MB of tiny pipelined requests become hundreds of thousands of live requests (about 70 times their
 * bytes in memory, and time that grows faster than their number). Real clients pipeline a few at most.
 */
export const MAX_PIPELINED_REQUESTS = 64;

interface Connection {
  /**
   * Retired while an answer was being sent (`retire`): that answer goes on to its end, then the connection
   * ends; any other request it has or gets is answered 503 without being acted on.
   */
  retiring: boolean;
  /** Responses of its requests not yet over (parsed, pipelined ones included), oldest first. */
  readonly unanswered: Set<http.ServerResponse>;
  readonly duplex: Duplex;
  readonly timers: ConnectionTimers;
  readonly serializer: ConnectionSerializer;
  /** Whether any byte came from the guest, and the last request Node parsed: where the exchange stands. */
  received: boolean;
  lastRequest: http.IncomingMessage | undefined;
}

/**
 * Whether a connection is between requests: nothing received, or the last request parsed was received whole
 * (`complete`: its body too, read or not). A request head that was still arriving is not (no request yet, or
 * bytes after a complete one: a partial head behind a whole request is the one case this cannot see).
 */
function betweenRequests(connection: Connection): boolean {
  if (!connection.received) return true;
  return connection.lastRequest?.complete === true;
}

/**
 * A Node http.Server that never listens and serves HTTP/1.1 over any Duplex handed to `serve`, with our
 * per-connection serializer and timers, hardened responses, request records, and a last-resort 500 or
 * connection reset for handler failures. Shared by the real engine and the "nothing shared" engine.
 */
export class ConnectionHost {
  private readonly server: http.Server<typeof http.IncomingMessage, typeof HardenedResponse>;
  private readonly connections = new Map<Duplex, Connection>();
  private readonly listeners = new Set<(record: RequestRecord) => void>();
  /**
   * Every request's turn, from when it was parsed until its handler has settled (or was skipped), with its
   * connection (undefined for a stream Node did not get through `serve`).
   */
  private readonly running = new Map<Promise<void>, Connection | undefined>();
  private closed = false;

  constructor(
    private readonly handler: RequestHandler,
    private readonly options: HostOptions,
  ) {
    this.server = http.createServer(
      { maxHeaderSize: options.settings.maxHeaderBytes, ServerResponse: HardenedResponse },
      (req, res) => this.accept(req, res),
    );
    // Never listens, so only per-connection errors can reach here; they are handled by destroying the duplex.
    this.server.on('error', () => undefined);
    // Node enforces none of its timeouts on injected streams (our ConnectionTimers do), but it still announces
    // its keep-alive timeout in every response's Keep-Alive header (5 s by default): announce the idle limit we
    // enforce instead, so a client does not give up on a connection we keep for minutes.
    this.server.keepAliveTimeout = options.settings.idleTimeoutMs;
  }

  serve(duplex: Duplex): void {
    if (this.closed) {
      duplex.destroy();
      return;
    }
    const timers = new ConnectionTimers(this.options.settings, () => duplex.destroy());
    const connection: Connection = {
      retiring: false,
      unanswered: new Set(),
      duplex,
      timers,
      serializer: new ConnectionSerializer(),
      received: false,
      lastRequest: undefined,
    };
    this.connections.set(duplex, connection);
    if (watchesRequestBoundary(duplex)) duplex.watchRequestBoundary(() => betweenRequests(connection));
    duplex.once('close', () => {
      timers.stop();
      this.connections.delete(duplex);
      // Node neither attaches nor closes the responses of requests pipelined behind the one in progress: end
      // them here, so that their handlers never run (a write must not happen after its connection was cut)
      // and everything waiting for them to be over (the serializer, records, listing turns) moves on.
      for (const res of connection.unanswered) {
        // A finished one had its socket detached by Node, which emits its 'close' itself.
        if (res.socket !== null || res.destroyed || res.writableFinished) continue;
        res.destroy();
        res.emit('close');
      }
    });
    // Node's server takes a connection's errors while it serves it; ours too (a cut: ConnectionCut), so that
    // no error event of a connection is ever unhandled, whatever Node has detached.
    duplex.on('error', () => undefined);
    this.server.emit('connection', duplex);
    // After Node attached its parser: for native TCP sockets Node reads the handle directly and no 'data'
    // events fire, so there only body consumption and response writes count as activity.
    duplex.on('data', () => {
      connection.received = true;
      timers.received();
    });
  }

  onRequest(listener: (record: RequestRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once no request runs or waits here except the answers a `retire` lets finish (downloads and
   * listings being sent, which only read): from then on this host changes nothing in its folders.
   */
  async quiet(): Promise<void> {
    for (;;) {
      const working = [...this.running].filter(([, connection]) => connection?.retiring !== true);
      if (working.length === 0) return;
      await Promise.allSettled(working.map(([turn]) => turn));
    }
  }

  /** Cuts every connection, answers in progress included; later `serve` calls destroy the duplex at once. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.connections.values()].map(({ duplex }) => cut(duplex)));
  }

  /**
   * Takes no more connections and ends every one, except that an answer already being sent (a download, a
   * listing: its headers are out and what is left is reading) goes on to its end, for at most `graceMs`: a
   * download cut in the middle leaves the guest program waiting for its own timeout, since spice-webdavd does
   * not pass a close from our side on. Nothing else is acted on after this: a request whose answer had not
   * begun (an upload, a request waiting for the lock, one whose head was still arriving) is cut as by
   * `close()`, and one the guest pipelines behind a finishing answer gets a 503. So no write reaches the share
   * after a stop; a cut request already at work may still finish its step, which `quiet()` waits for (a new
   * share of the same folder is held until then: share-engines.ts). Resolves once every connection has closed.
   */
  async retire(graceMs: number): Promise<void> {
    this.closed = true;
    const closing = [...this.connections.values()].map((connection) => {
      const closed = whenClosed(connection.duplex);
      // Its answer in progress, if any (the serializer answers in order): begun means headers out, the rest
      // being sent or already ended (what is still buffered goes out before the connection ends).
      const [current] = connection.unanswered;
      if (current?.headersSent === true) {
        connection.retiring = true;
      } else {
        connection.duplex.destroy();
      }
      return closed;
    });
    const grace = setTimeout(() => void this.close(), graceMs);
    grace.unref();
    try {
      await Promise.all(closing);
    } finally {
      clearTimeout(grace);
    }
  }

  private accept(req: http.IncomingMessage, res: HardenedResponse): void {
    const started = Date.now();
    const connection = this.connections.get(req.socket);
    if (connection && connection.unanswered.size >= MAX_PIPELINED_REQUESTS) {
      connection.duplex.destroy(); // a flood of pipelined requests: end this connection, not the others
      return;
    }
    connection?.timers.requestStarted();
    connection?.unanswered.add(res);
    if (connection) connection.lastRequest = req;
    let bytesIn = 0;
    let path = req.url ?? '';
    if (connection) res.onProgress = connection.timers.activity;
    const exchange: Exchange = {
      consumed: (bytes) => {
        bytesIn += bytes;
        connection?.timers.activity();
      },
      describe: (described) => {
        path = described;
      },
    };
    res.once('close', () => {
      if (connection) {
        connection.unanswered.delete(res);
        // The answer it was retired in is written, and the 503s of any requests pipelined behind it (the first
        // says Connection: close): the connection ends once they have left (end, not destroy, on a socket).
        if (connection.retiring && connection.unanswered.size === 0 && !connection.duplex.writableEnded)
          connection.duplex.end();
      }
      connection?.timers.requestFinished();
      this.publish({
        method: req.method ?? '',
        path,
        // Node's default 200 is no answer when none was sent: a request whose client left before it.
        status: res.headersSent ? res.statusCode : 0,
        bytesIn,
        bytesOut: res.bytesOut,
        ms: Date.now() - started,
      });
    });
    // Decided when its turn comes: a request parsed before its connection was retired is not acted on either.
    const run = () =>
      this.handle(req, res, exchange, connection?.retiring === true ? retiredHandler : this.handler);
    const done = connection ? connection.serializer.run(run) : run();
    this.running.set(done, connection);
    const over = (): void => void this.running.delete(done);
    done.then(over, over);
  }

  /** Runs the handler, then waits until the response is over, so the next request of the connection waits. */
  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    exchange: Exchange,
    handler: RequestHandler,
  ): Promise<void> {
    const responseOver = new Promise<void>((resolve) => {
      if (res.closed || res.destroyed) resolve();
      else res.once('close', () => resolve());
    });
    // A connection already cut (a share retired or closed, the guest gone), or ended after a `Connection:
    // close` answer, runs nothing more: no answer could reach the guest, so nothing may be done either.
    if (!res.destroyed && !req.socket.destroyed && req.socket.writable) {
      try {
        await handler(req, res, exchange);
      } catch (error) {
        failResponse(res, error);
      }
    }
    await responseOver;
  }

  private publish(record: RequestRecord): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(record);
      } catch {
        // A failing observer must not disturb serving.
      }
    }
  }
}

/** What a request that began after its connection was retired gets: the share it was sent to is gone. */
const retiredHandler: RequestHandler = async (_req, res) => {
  res.shouldKeepAlive = false;
  sendText(res, 503, 'The share changed on the host; send the request again on a new connection.\n', {
    'Retry-After': '1',
  });
};

/** Resolves once the duplex has closed. */
function whenClosed(duplex: Duplex): Promise<void> {
  return duplex.closed ? Promise.resolve() : new Promise<void>((resolve) => duplex.once('close', resolve));
}

/** Cuts the duplex (what it had queued is dropped) and resolves once it has closed. */
function cut(duplex: Duplex): Promise<void> {
  const closed = whenClosed(duplex);
  duplex.destroy(new ConnectionCut());
  return closed;
}

/**
 * Last resort for a request whose handling failed: if nothing was sent yet, a 503 when the process is out of
 * file descriptors (a retry may well succeed), a 403 when the host refused access (a folder on the way the
 * client may not enter or list, a file it may not open, a tree it may not walk: no retry will help, so no 500
 * says "try again"), else a 500; once the response has begun, a reset. Reads and
 * walks let such errors come here; writes answer theirs where they clean up (methods/file-system-refusal.ts).
 */
export function failResponse(res: http.ServerResponse, error?: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EMFILE' || code === 'ENFILE') {
    sendText(
      res,
      503,
      'The host has no file descriptors left for spice-webdav (too many open files); try again shortly.\n',
      { 'Retry-After': '1' },
    );
    return;
  }
  if (isAccessRefusal(error)) {
    sendText(
      res,
      403,
      'The host keeps this from the user running spice-webdav (permissions on the host); change them there ' +
        'if the guest should have it.\n',
    );
    return;
  }
  sendText(res, 500, 'The WebDAV server failed while answering this request; try again.\n');
}

export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string,
  extra: http.OutgoingHttpHeaders = {},
) {
  if (res.headersSent) return;
  const body = Buffer.from(text, 'utf8');
  res.statusCode = status;
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) res.setHeader(name, value);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/**
 * An answer without a body. A 204 carries no Content-Length (RFC 9110 §8.6: a server must not send one with
 * it; Node's server then adds no framing either); any other status says 0, so the connection stays usable.
 */
export function sendEmpty(res: http.ServerResponse, status: number): void {
  res.statusCode = status;
  // RFC 9110 §8.6: never on a 204; on a 304 only the length a 200 would have had, so none.
  if (status !== 204 && status !== 304) res.setHeader('Content-Length', 0);
  res.end();
}
