import * as net from 'node:net';

import { probeServer } from '../../../../src/edge/spice/server-probe';

function listen(
  onConnection: (socket: net.Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            sockets.forEach((socket) => socket.destroy());
            server.close(() => done());
          }),
      }),
    ),
  );
}

describe('probeServer', () => {
  it("is 'alive' when the server answers the version-1 link header, and sends exactly that header", async () => {
    let received: Buffer = Buffer.alloc(0);
    const server = await listen((socket) =>
      socket.once('data', (chunk: Buffer) => {
        received = chunk;
        socket.end(Buffer.from('answer'));
      }),
    );
    try {
      expect(await probeServer({ kind: 'tcp', host: '127.0.0.1', port: server.port, secure: false })).toBe(
        'alive',
      );
      expect(received.subarray(0, 4).toString('latin1')).toBe('REDQ');
      expect(received.readUInt32LE(4)).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("is 'gone' when the connection is refused", async () => {
    const server = await listen(() => undefined);
    await server.close();
    expect(await probeServer({ kind: 'tcp', host: '127.0.0.1', port: server.port, secure: false })).toBe(
      'gone',
    );
  });

  it("is 'gone' when the peer closes without answering", async () => {
    const server = await listen((socket) => socket.once('data', () => socket.destroy()));
    try {
      expect(await probeServer({ kind: 'tcp', host: '127.0.0.1', port: server.port, secure: false })).toBe(
        'gone',
      );
    } finally {
      await server.close();
    }
  });

  it("is 'no-answer' when the peer accepts but stays silent", async () => {
    const server = await listen(() => undefined);
    try {
      expect(
        await probeServer({ kind: 'tcp', host: '127.0.0.1', port: server.port, secure: false }, 200),
      ).toBe('no-answer');
    } finally {
      await server.close();
    }
  });
});
