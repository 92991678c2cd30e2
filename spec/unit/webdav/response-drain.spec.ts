import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { responseDrain } from '../../../src/webdav/response-drain';

const PIECE = Buffer.alloc(64 * 1024, 0x61);

/** A real HTTP response to a client that reads nothing yet, written until it refuses more. */
async function backedUpResponse(): Promise<{ res: ServerResponse; client: Socket; server: Server }> {
  let answer: (res: ServerResponse) => void = () => undefined;
  const answered = new Promise<ServerResponse>((resolve) => (answer = resolve));
  const server = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  client.pause();
  client.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const res = await answered;
  res.writeHead(200);
  // Bounded by count: socket buffers hold a few MiB at most, far below this many pieces.
  for (let i = 0; i < 4096 && res.write(PIECE); i++);
  expect(res.writableNeedDrain).toBe(true);
  return { res, client, server };
}

describe('responseDrain', () => {
  let cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup) step();
    cleanup = [];
  });

  async function setUp(): Promise<{ res: ServerResponse; client: Socket }> {
    const made = await backedUpResponse();
    cleanup.push(() => {
      made.client.destroy();
      made.res.destroy();
      made.server.close();
    });
    return made;
  }

  it("says 'drained' once the client reads, and leaves no listener behind", async () => {
    const { res, client } = await setUp();
    const drainListeners = res.listenerCount('drain');
    const closeListeners = res.listenerCount('close');
    const outcome = responseDrain(res);
    client.on('data', () => undefined);
    client.resume();
    await expect(outcome).resolves.toBe('drained');
    expect(res.listenerCount('drain')).toBe(drainListeners);
    expect(res.listenerCount('close')).toBe(closeListeners);
  });

  it("says 'closed' when the response is destroyed while it waits, and leaves no listener behind", async () => {
    const { res } = await setUp();
    const drainListeners = res.listenerCount('drain');
    const outcome = responseDrain(res);
    res.destroy();
    await expect(outcome).resolves.toBe('closed');
    expect(res.listenerCount('drain')).toBe(drainListeners);
  });

  it('settles when the client goes away while it waits (the caller then finds the response destroyed)', async () => {
    const { res, client } = await setUp();
    const outcome = responseDrain(res);
    client.destroy();
    await outcome;
    if (!res.destroyed) await new Promise<void>((resolve) => res.once('close', () => resolve()));
    expect(res.destroyed).toBe(true);
  });

  it("says 'closed' at once for a response already destroyed (no 'close' would come again)", async () => {
    const { res } = await setUp();
    res.destroy();
    await new Promise<void>((resolve) => res.once('close', () => resolve()));
    await expect(responseDrain(res)).resolves.toBe('closed');
  });
});
