import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { startThrottleProxy, type ThrottleProxy } from '../../../bench/throttle-proxy';

/** A server that sends back everything it gets (as QEMU answers a client, bytes flow both ways). */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('the throttle proxy', () => {
  let server: net.Server | undefined;
  let proxy: ThrottleProxy | undefined;
  let client: net.Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await proxy?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = proxy = client = undefined;
  });

  it('carries bytes intact both ways, never holding more than its queue limit plus one read', async () => {
    server = await echoServer();
    const address = server.address() as net.AddressInfo;
    const queueLimitBytes = 128 * 1024;
    proxy = await startThrottleProxy({
      targetHost: '127.0.0.1',
      targetPort: address.port,
      mbitPerSecond: 400,
      delayMs: 1,
      queueLimitBytes,
    });
    const sent = randomBytes(4 * 1024 * 1024);
    const connected = net.connect({ host: '127.0.0.1', port: proxy.port });
    client = connected;
    const received: Buffer[] = [];
    let receivedBytes = 0;
    const all = new Promise<void>((resolve) =>
      connected.on('data', (chunk: Buffer) => {
        received.push(chunk);
        receivedBytes += chunk.length;
        if (receivedBytes >= sent.length) resolve();
      }),
    );
    connected.write(sent);
    await all;
    expect(Buffer.concat(received).equals(sent)).toBe(true);
    // A sender is paused once the queue passes the limit; what it already read (one socket read, at most
    // 64 KiB) still enters the queue.
    expect(proxy.maxQueuedBytes()).toBeGreaterThan(queueLimitBytes);
    expect(proxy.maxQueuedBytes()).toBeLessThanOrEqual(queueLimitBytes + 64 * 1024);
  });
});
