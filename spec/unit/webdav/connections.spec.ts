import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createUnavailableEngine, createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import {
  connect,
  davRequest,
  keepAliveClient,
  rawExchange,
  startTwoPartPut,
  statusesIn,
} from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

function closed(duplex: { once(event: 'close', listener: () => void): unknown; destroyed: boolean }) {
  return new Promise<void>((resolve) =>
    duplex.destroyed ? resolve() : duplex.once('close', () => resolve()),
  );
}

async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('connections', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'keep.txt': 'original content' });
    engine = await createWebdavEngine(
      { root: sandbox.share, readOnly: false },
      { idleTimeoutMs: 300, headersTimeoutMs: 200 },
    );
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('serves pipelined requests one at a time, in order (PUT then GET of the same file)', async () => {
    const requests =
      'PUT /new.txt HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\n\r\nfresh' +
      'GET /new.txt HTTP/1.1\r\nHost: g\r\n\r\n' +
      'DELETE /new.txt HTTP/1.1\r\nHost: g\r\n\r\n' +
      'GET /new.txt HTTP/1.1\r\nHost: g\r\n\r\n';
    const text = await rawExchange(engine, requests, (received) => statusesIn(received).length === 4);
    expect(statusesIn(text)).toEqual([201, 200, 204, 404]);
    expect(text).toContain('\r\n\r\nfresh');
  });

  it('retire: an idle connection ends at once, an upload in progress is answered (Connection: close) and written', async () => {
    const idle = keepAliveClient(engine);
    expect((await idle.request({ method: 'GET', path: '/keep.txt' })).status).toBe(200);
    const put = startTwoPartPut(engine, '/late.txt', 'half ');
    await eventually(() => existsSync(sandbox.share) && readdirSync(sandbox.share).length > 1); // its temp file
    let retired = false;
    const retiring = engine.retire?.().then(() => (retired = true));
    await closed(idle.connection);
    expect(retired).toBe(false);
    put.finish('and the rest');
    const answer = await put.response;
    expect(answer.status).toBe(201);
    expect(answer.headers.connection).toBe('close');
    await retiring;
    expect(readFileSync(path.join(sandbox.share, 'late.txt'), 'utf8')).toBe('half and the rest');
    const after = connect(engine);
    await closed(after);
  });

  it('retire: a request pipelined after it gets a 503, so a guest cannot go on using a stopped share', async () => {
    await writeFiles(sandbox.share, { 'big.txt': 'x'.repeat(4 * 1024 * 1024) });
    const client = connect(engine);
    client.on('error', () => undefined);
    client.pause();
    client.write('GET /big.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n');
    await eventually(() => client.readableLength > 0); // the download has begun, and waits for its reader
    const retiring = engine.retire?.();
    client.write('PUT /second.txt HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: 2\r\n\r\nef');
    let text = '';
    client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    client.resume();
    await retiring;
    await closed(client);
    expect(statusesIn(text)).toEqual([200, 503]);
    expect(text).toMatch(/503 [^]*Connection: close/);
    expect(existsSync(path.join(sandbox.share, 'second.txt'))).toBe(false);
  });

  it('retire: an upload in progress is answered with Connection: close, and a request sent after it is not acted on', async () => {
    const client = connect(engine);
    client.on('error', () => undefined);
    let text = '';
    client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const head = (name: string) =>
      `PUT /${name} HTTP/1.1\r\nHost: localhost:9843\r\nTransfer-Encoding: chunked\r\n\r\n`;
    client.write(head('first.txt') + '2\r\nab\r\n');
    await eventually(() => readdirSync(sandbox.share).length > 1); // its temp file: the PUT is being answered
    client.write('2\r\ncd\r\n');
    const retiring = engine.retire?.();
    client.write('0\r\n\r\n' + head('second.txt') + '2\r\nef\r\n0\r\n\r\n');
    await retiring;
    await closed(client);
    expect(statusesIn(text)).toEqual([201]);
    expect(readFileSync(path.join(sandbox.share, 'first.txt'), 'utf8')).toBe('abcd');
    expect(existsSync(path.join(sandbox.share, 'second.txt'))).toBe(false);
  });

  it('destroys a connection whose request headers never complete', async () => {
    const client = connect(engine);
    client.on('error', () => undefined);
    client.write('GET /keep.txt HTTP/1.1\r\nHost: g\r\n');
    await closed(client);
  });

  it('destroys an idle keep-alive connection', async () => {
    const client = keepAliveClient(engine);
    expect((await client.request({ method: 'GET', path: '/keep.txt' })).status).toBe(200);
    await closed(client.connection);
  });

  it('ends a request whose body is shorter than its Content-Length', async () => {
    const client = connect(engine);
    client.on('error', () => undefined);
    client.write('PROPFIND / HTTP/1.1\r\nHost: g\r\nDepth: 0\r\nContent-Length: 100\r\n\r\n<short');
    await closed(client);
  });

  it('leaves the old file and no temporary file when an upload is cut off', async () => {
    const client = connect(engine);
    client.on('error', () => undefined);
    client.write('PUT /keep.txt HTTP/1.1\r\nHost: g\r\nContent-Length: 1000000\r\n\r\n');
    client.write(Buffer.alloc(300_000, 1));
    await eventually(() =>
      readdirSync(sandbox.share).some((name) => name.startsWith('.spice-webdav-upload-')),
    );
    client.destroy();
    await eventually(() => readdirSync(sandbox.share).length === 1);
    expect(readdirSync(sandbox.share)).toEqual(['keep.txt']);
    expect(readFileSync(path.join(sandbox.share, 'keep.txt'), 'utf8')).toBe('original content');
  });

  it('stores nothing of a small upload whose body stops short, and the name stays writable', async () => {
    const client = connect(engine);
    client.on('error', () => undefined);
    client.write('PUT /short.txt HTTP/1.1\r\nHost: g\r\nContent-Length: 4096\r\n\r\nonly a few bytes');
    await closed(client);
    // A later request waits for anything the cut upload queued on the namespace lock before it.
    const again = keepAliveClient(engine);
    expect((await again.request({ method: 'GET', path: '/short.txt' })).status).toBe(404);
    expect(readdirSync(sandbox.share)).toEqual(['keep.txt']);
    expect((await again.request({ method: 'PUT', path: '/short.txt', body: 'whole' })).status).toBe(201);
    again.close();
    expect(readFileSync(path.join(sandbox.share, 'short.txt'), 'utf8')).toBe('whole');
  });

  it('leaves no file at all when the upload of a new file is cut off', async () => {
    const client = connect(engine);
    client.on('error', () => undefined);
    client.write('PUT /partial.bin HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n');
    client.write(Buffer.alloc(0x1000, 2));
    await eventually(() => readdirSync(sandbox.share).length === 2);
    client.destroy();
    await eventually(() => readdirSync(sandbox.share).length === 1);
    expect(existsSync(path.join(sandbox.share, 'partial.bin'))).toBe(false);
  });

  it('ends every connection on close()', async () => {
    const client = keepAliveClient(engine);
    expect((await client.request({ method: 'GET', path: '/keep.txt' })).status).toBe(200);
    await engine.close();
    await closed(client.connection);
    const late = connect(engine);
    await closed(late);
  });
});

describe('the Keep-Alive header', () => {
  it("announces the idle limit the engine enforces, not Node's 5 s it never applies", async () => {
    const sandbox = makeSandbox();
    const engine = await createWebdavEngine(
      { root: sandbox.share, readOnly: false },
      { idleTimeoutMs: 120_000 },
    );
    try {
      const text = await rawExchange(engine, 'OPTIONS / HTTP/1.1\r\nHost: g\r\n\r\n', (received) =>
        received.includes('\r\n\r\n'),
      );
      expect(text).toMatch(/\r\nKeep-Alive: timeout=120\r\n/i);
    } finally {
      await engine.close();
      sandbox.remove();
    }
  });
});

describe('the engine while nothing is shared', () => {
  const engine = createUnavailableEngine('the VM has no shared folder configured', { idleTimeoutMs: 300 });

  afterAll(() => engine.close());

  it('answers every request 503 with a short text body, over keep-alive, and never hangs', async () => {
    const client = keepAliveClient(engine);
    try {
      for (const method of ['OPTIONS', 'PROPFIND', 'GET', 'PUT']) {
        const res = await client.request({
          method,
          path: '/any/where',
          body: method === 'PUT' ? 'data' : undefined,
        });
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.body.toString()).toContain('the VM has no shared folder configured');
      }
    } finally {
      client.close();
    }
  });

  it('reports requests and has an empty read-only share', async () => {
    const statuses: number[] = [];
    const unsubscribe = engine.onRequest((record) => {
      if (record.path === '/probe') statuses.push(record.status);
    });
    await davRequest(engine, { method: 'GET', path: '/probe' });
    await eventually(() => statuses.length > 0);
    unsubscribe();
    expect(statuses).toEqual([503]);
    expect(engine.share.readOnly).toBe(true);
  });
});
