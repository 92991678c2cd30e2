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
  const server = createServer((socket) => serveConnection(socket, target, cwd, connections));
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
    .subscribe((reply) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
    });
  const reader = createInterface({ input: socket, crlfDelay: Infinity });
  reader.on('line', (line) => lines.next(line));
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
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive)
    throw new Error(`Another program is listening on the control socket ${path}: choose another path.`);
  unlinkSync(path);
}
