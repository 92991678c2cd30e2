import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { concatMap, EMPTY, finalize, type Observable, of, Subject } from 'rxjs';
import { parseControlJson } from './control-request';
import { executeControl, type ControlReply, type ControlTarget } from './execute-control';

export interface ControlSocket {
  readonly path: string;
  /** Stops listening, ends open connections and removes the socket file. */
  close(): void;
}

/**
 * The --control socket: a unix socket, mode 0600 (only our user may steer the share), that takes one JSON
 * request per line and answers each with one JSON line, in order. See docs/cli.md for the requests.
 */
export async function openControlSocket(
  path: string,
  target: ControlTarget,
  cwd: string,
): Promise<ControlSocket> {
  await clearStaleSocket(path);
  const connections = new Set<Socket>();
  // allowHalfOpen: a client that sends its lines and shuts its side (`echo ... | socat`) still gets every answer.
  const server = createServer({ allowHalfOpen: true }, (socket) =>
    serveConnection(socket, target, cwd, connections),
  );
  await listenPrivately(server, path);
  return {
    path,
    close: () => {
      server.close();
      for (const socket of connections) socket.destroy();
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to clean up.
      }
    },
  };
}

/** The longest request line taken: far above any real request, far below what would cost memory. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024;

/** Requests read and not yet answered on one connection before it stops reading (a client that never reads). */
const MAX_UNANSWERED_LINES = 16;

/**
 * One client: lines in, one reply per request line out, in order. Reading pauses while replies back up (a
 * client that sends and never reads) and a line over MAX_CONTROL_LINE_BYTES ends the connection after an error
 * reply. A client that goes away, at any moment, only ends its own connection: the share goes on (readline,
 * used until session 22, re-emitted the socket's ECONNRESET as an unhandled error that ended the process, and
 * held a line of any length).
 */
function serveConnection(socket: Socket, target: ControlTarget, cwd: string, connections: Set<Socket>): void {
  connections.add(socket);
  socket.on('error', () => socket.destroy());
  const lines = new Subject<string>();
  let unanswered = 0;
  const updateReading = (): void => {
    if (socket.destroyed) return;
    if (unanswered >= MAX_UNANSWERED_LINES || socket.writableNeedDrain) socket.pause();
    else socket.resume();
  };
  socket.on('drain', updateReading);
  const replies = lines
    .pipe(
      concatMap((line) => {
        const parsed = parseControlJson(line, cwd);
        const reply$: Observable<ControlReply> =
          parsed.kind === 'empty'
            ? EMPTY
            : parsed.kind === 'invalid'
              ? of({ ok: false, error: parsed.message })
              : executeControl(parsed.request, target);
        return reply$.pipe(
          finalize(() => {
            unanswered -= 1;
            updateReading();
          }),
        );
      }),
    )
    .subscribe({
      next: (reply) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
        updateReading();
      },
      // Every line answered and the client sent no more: close our side too.
      complete: () => socket.end(),
    });
  const take = (line: string): void => {
    unanswered += 1;
    lines.next(line.endsWith('\r') ? line.slice(0, -1) : line);
    updateReading();
  };
  // Lines are cut on the newline byte, which UTF-8 never uses inside a character, and measured in bytes as
  // they arrive: a line sent a byte at a time costs no more than one sent whole (measuring the text so far
  // on every chunk was quadratic).
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let partialBytes = 0;
  const refuseLongLine = (): void => {
    partial = '';
    socket.pause();
    socket.removeAllListeners('data');
    const error = `a request line is longer than ${MAX_CONTROL_LINE_BYTES} bytes; send one JSON object per line`;
    // Then closed whole: what else the client sends is not read, and must not keep it waiting.
    socket.end(`${JSON.stringify({ ok: false, error } satisfies ControlReply)}\n`, () => socket.destroy());
    replies.unsubscribe();
  };
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      if (partialBytes + newline - start > MAX_CONTROL_LINE_BYTES) return refuseLongLine();
      const line = partial + decoder.write(chunk.subarray(start, newline)) + decoder.end();
      partial = '';
      partialBytes = 0;
      start = newline + 1;
      take(line);
    }
    partialBytes += chunk.length - start;
    if (partialBytes > MAX_CONTROL_LINE_BYTES) return refuseLongLine();
    partial += decoder.write(chunk.subarray(start));
  });
  socket.once('end', () => {
    const last = partial + decoder.end();
    partial = '';
    if (last !== '') take(last);
    lines.complete();
  });
  socket.once('close', () => {
    connections.delete(socket);
    replies.unsubscribe();
  });
}

/** Binds with a umask that leaves the socket 0600 from its first moment, then makes sure of it. */
function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const previous = process.umask(0o177);
    const fail = (err: Error): void => {
      reject(new Error(`Cannot listen on the control socket ${path}: ${err.message}. Choose another path.`));
    };
    server.once('error', fail);
    try {
      server.listen(path, () => {
        server.off('error', fail);
        try {
          chmodSync(path, 0o600);
          resolve();
        } catch (err) {
          server.close();
          fail(err as Error);
        }
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** A socket file left by a spice-webdav that died is removed; a live one, or any other file, is an error. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`The control path ${path} exists and is not a socket: choose another path.`);
  const probe = await new Promise<'alive' | 'dead' | 'not-ours'>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve('alive');
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'EACCES' || err.code === 'EPERM' ? 'not-ours' : 'dead'),
    );
  });
  if (probe === 'alive')
    throw new Error(`Another program is listening on the control socket ${path}: choose another path.`);
  if (probe === 'not-ours') throw anotherUsersSocket(path);
  try {
    unlinkSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'EPERM' || code === 'EACCES' ? anotherUsersSocket(path) : err;
  }
}

/** A socket file we may neither use nor remove (EACCES/EPERM, e.g. in /tmp with its sticky bit). */
function anotherUsersSocket(path: string): Error {
  return new Error(
    `The control socket ${path} belongs to another user (left over, or still in use), so we may not replace it: ` +
      'choose a path of your own, e.g. --control /run/user/$UID/spice-webdav.sock, or ask its owner to remove it.',
  );
}
