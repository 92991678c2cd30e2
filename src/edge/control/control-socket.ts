import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { concatMap, from, Subject } from 'rxjs';
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

function serveConnection(socket: Socket, target: ControlTarget, cwd: string, connections: Set<Socket>): void {
  connections.add(socket);
  socket.on('error', () => socket.destroy());
  const lines = new Subject<string>();
  const replies = lines
    .pipe(
      concatMap((line) => {
        const parsed = parseControlJson(line, cwd);
        if (parsed.kind === 'empty') return [];
        if (parsed.kind === 'invalid') return [{ ok: false, error: parsed.message } satisfies ControlReply];
        return from(executeControl(parsed.request, target));
      }),
    )
    .subscribe({
      next: (reply) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
      },
      // Every line answered and the client sent no more: close our side too.
      complete: () => socket.end(),
    });
  const reader = createInterface({ input: socket, crlfDelay: Infinity });
  reader.on('line', (line) => lines.next(line));
  reader.once('close', () => lines.complete());
  socket.once('close', () => {
    connections.delete(socket);
    reader.close();
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
