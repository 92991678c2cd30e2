import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { ConnectionSerializer } from './connection-serializer';
import { ConnectionTimers } from './connection-timers';
import { isAccessRefusal } from './file-calls';
import { HardenedResponse } from './hardened-response';
import type { RequestRecord, ResolvedEngineOptions } from './types';

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
  pending: number;
  /** Ends once it has no request left to answer (`retire`). */
  retiring: boolean;
  /**
   * Once retiring: how many more requests it may still have answered (those parsed, or begun, when it was
   * retired). Any later one gets a 503: a guest that pipelines request after request must not go on using a
   * share the user replaced or stopped.
   */
  answersLeft: number;
  /** Responses of its requests not yet over. */
  readonly unanswered: Set<http.ServerResponse>;
  readonly duplex: Duplex;
  readonly timers: ConnectionTimers;
  readonly serializer: ConnectionSerializer;
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
      pending: 0,
      retiring: false,
      answersLeft: 0,
      unanswered: new Set(),
      duplex,
      timers,
      serializer: new ConnectionSerializer(),
    };
    this.connections.set(duplex, connection);
    duplex.once('close', () => {
      timers.stop();
      this.connections.delete(duplex);
    });
    this.server.emit('connection', duplex);
    // After Node attached its parser: for native TCP sockets Node reads the handle directly and no 'data'
    // events fire, so there only body consumption and response writes count as activity.
    duplex.on('data', () => timers.received());
  }

  onRequest(listener: (record: RequestRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cuts every connection, answers in progress included; later `serve` calls destroy the duplex at once. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.connections.values()].map(({ duplex }) => closedOrCut(duplex)));
  }

  /**
   * Takes no more connections, and ends each one once it has no request left to answer: an idle one at once, a
   * busy one after its last answer, so a download or an upload the guest started goes on to its end instead of
   * being cut (spice-webdavd ignores a close from our side, so the guest program would wait for its own
   * timeout). Answers not begun yet say `Connection: close`. Resolves once every connection has closed; the
   * connections' own timers still end one that stops moving, and `close()` still cuts them all.
   */
  async retire(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.connections.values()].map((connection) => {
        const closed = closedOrCut(connection.duplex, 'wait');
        connection.retiring = true;
        // Idle: no request being answered, none begun (its head still arriving) and no byte waiting to be read.
        // A request that has begun is answered, then the connection ends as after any last answer.
        const begun = connection.timers.awaitingHeaders() || connection.duplex.readableLength > 0;
        connection.answersLeft = begun ? 1 : 0;
        if (connection.pending === 0 && !begun) {
          connection.duplex.destroy();
        } else if (!begun) {
          // The last answer says so if it has not begun (Node then ends the connection after it). Only the last:
          // Node drops the requests pipelined behind an answer that closes, after our handlers ran for them.
          const last = [...connection.unanswered].pop();
          if (last !== undefined && !last.headersSent) last.shouldKeepAlive = false;
        }
        return closed;
      }),
    );
  }

  private accept(req: http.IncomingMessage, res: HardenedResponse): void {
    const started = Date.now();
    const connection = this.connections.get(req.socket);
    if (connection && ++connection.pending > MAX_PIPELINED_REQUESTS) {
      connection.duplex.destroy(); // a flood of pipelined requests: end this connection, not the others
      return;
    }
    connection?.timers.requestStarted();
    connection?.unanswered.add(res);
    let refused = false;
    if (connection?.retiring === true) {
      refused = connection.answersLeft === 0;
      if (!refused) connection.answersLeft -= 1;
      if (connection.answersLeft === 0) res.shouldKeepAlive = false;
    }
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
        connection.pending--;
        connection.unanswered.delete(res);
        // Its last answer is written: the connection ends once that has left (end, not destroy, on a socket).
        if (connection.retiring && connection.pending === 0 && !connection.duplex.writableEnded)
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
    const run = refused
      ? () => this.handle(req, res, exchange, retiredHandler)
      : () => this.handle(req, res, exchange, this.handler);
    if (connection) void connection.serializer.run(run);
    else void run();
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
    if (!res.destroyed) {
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
const retiredHandler: RequestHandler = async (_req, res) =>
  sendText(res, 503, 'This folder is no longer shared on this connection; send the request again.\n', {
    'Retry-After': '1',
  });

/** Resolves once the duplex has closed; unless told to wait, it is destroyed first. */
function closedOrCut(duplex: Duplex, mode: 'cut' | 'wait' = 'cut'): Promise<void> {
  const done = duplex.closed
    ? Promise.resolve()
    : new Promise<void>((resolve) => duplex.once('close', resolve));
  if (mode === 'cut') duplex.destroy();
  return done;
}

/**
 * Last resort for a request whose handling failed: if nothing was sent yet, a 403 when the host refused access
 * (a folder on the way the client may not enter or list, a file it may not open, a tree it may not walk: no
 * retry will help, so no 500 says "try again"), else a 500; once the response has begun, a reset. Reads and
 * walks let such errors come here; writes answer theirs where they clean up (methods/file-system-refusal.ts).
 */
export function failResponse(res: http.ServerResponse, error?: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
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
