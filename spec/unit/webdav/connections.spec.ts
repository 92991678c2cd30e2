import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { listingTurns } from '../../../src/webdav/propfind/answer-propfind';
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

  it('retire: idle connections and an upload in progress are cut; the upload leaves nothing in the share', async () => {
    const idle = keepAliveClient(engine);
    expect((await idle.request({ method: 'GET', path: '/keep.txt' })).status).toBe(200);
    const put = startTwoPartPut(engine, '/late.txt', 'half ');
    put.response.catch(() => undefined);
    await eventually(() => readdirSync(sandbox.share).length > 1); // its temp file: the upload is under way
    await engine.retire?.();
    await closed(idle.connection);
    await expect(put.response).rejects.toThrow();
    await eventually(() => readdirSync(sandbox.share).length === 1); // the temp file is gone again
    expect(readdirSync(sandbox.share)).toEqual(['keep.txt']);
    await closed(connect(engine)); // and no new connection is taken
  });

  it('retire: a download being sent finishes; a request pipelined behind it gets a 503 and is not acted on', async () => {
    await writeFiles(sandbox.share, { 'big.txt': 'x'.repeat(4 * 1024 * 1024) });
    const client = connect(engine);
    client.on('error', () => undefined);
    client.pause();
    client.write('GET /big.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n');
    await eventually(() => client.readableLength > 0); // the download has begun, and waits for its reader
    const retiring = engine.retire?.();
    client.write('DELETE /keep.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n');
    let text = '';
    client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    client.resume();
    await retiring;
    await closed(client);
    expect(statusesIn(text)).toEqual([200, 503]);
    expect(text.indexOf('\r\n\r\n') + 4 + 4 * 1024 * 1024).toBeLessThanOrEqual(text.indexOf('HTTP/1.1 503'));
    expect(text).toMatch(/503 [^]*Connection: close/);
    expect(existsSync(path.join(sandbox.share, 'keep.txt'))).toBe(true);
  });

  it('retire: a download still going when the grace is over is cut', async () => {
    const hasty = await createWebdavEngine(
      { root: sandbox.share, readOnly: false },
      { idleTimeoutMs: 60_000, retireGraceMs: 50 },
    );
    await writeFiles(sandbox.share, { 'big.txt': 'x'.repeat(4 * 1024 * 1024) });
    const client = connect(hasty);
    client.on('error', () => undefined);
    client.pause(); // a guest that stops reading
    client.write('GET /big.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n');
    await eventually(() => client.readableLength > 0);
    await hasty.retire?.();
    await closed(client);
  });

  describe('requests of a connection that is cut', () => {
    const BIG = 64 * 1024 * 1024;
    const temps = () => readdirSync(sandbox.share).filter((name) => name.startsWith('.spice-webdav-upload-'));
    const copyThenCut = async (target: WebdavEngine, pipelined: string): Promise<void> => {
      const client = connect(target);
      client.on('error', () => undefined);
      client.write(
        'COPY /big.bin HTTP/1.1\r\nHost: localhost:9843\r\nDestination: http://localhost:9843/copy.bin\r\n\r\n' +
          pipelined,
      );
      await eventually(() => temps().length > 0); // the COPY is staging: its answer has not begun
      await target.close();
      await target.quiet?.();
    };

    beforeEach(() => writeFileSync(path.join(sandbox.share, 'big.bin'), Buffer.alloc(BIG, 97)));

    it('a COPY cut while staging takes no effect, and a request pipelined behind it never runs', async () => {
      await copyThenCut(engine, 'DELETE /keep.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n');
      expect(existsSync(path.join(sandbox.share, 'keep.txt'))).toBe(true);
      expect(existsSync(path.join(sandbox.share, 'copy.bin'))).toBe(false);
      expect(temps()).toEqual([]);
    });

    // Before session 24 the pipelined PROPFIND ran on a response Node never attached, waited for ever for
    // it to drain, and kept one of the 8 listing turns of the whole process: 8 such, and no share listed.
    it('a listing pipelined behind it never takes a listing turn, and is recorded as unanswered', async () => {
      const records: string[] = [];
      engine.onRequest((record) => records.push(`${record.method} ${record.status}`));
      await copyThenCut(engine, 'PROPFIND / HTTP/1.1\r\nHost: localhost:9843\r\nDepth: 1\r\n\r\n');
      await eventually(() => records.includes('PROPFIND 0'));
      expect(listingTurns.inUse).toBe(0);
      expect(listingTurns.waitingCount).toBe(0);
    });

    it('an engine held until another is quiet writes after the other has settled', async () => {
      const fresh = await createWebdavEngine({ root: sandbox.share, readOnly: false });
      try {
        const client = connect(engine);
        client.on('error', () => undefined);
        client.write(
          'COPY /big.bin HTTP/1.1\r\nHost: localhost:9843\r\nDestination: http://localhost:9843/doc.txt\r\n\r\n',
        );
        await eventually(() => temps().length > 0);
        void engine.retire?.();
        fresh.holdUntil?.(engine.quiet?.() ?? Promise.resolve());
        const put = await davRequest(fresh, {
          method: 'PUT',
          path: '/doc.txt',
          body: 'through the new share',
        });
        expect(put.status).toBe(201);
        expect(temps()).toEqual([]); // the old COPY was over (cut, its staging removed) before the PUT ran
        expect(readFileSync(path.join(sandbox.share, 'doc.txt'), 'utf8')).toBe('through the new share');
      } finally {
        await fresh.close();
      }
    });
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

  it('answers every request 503 with a short text body and Connection: close, and never hangs', async () => {
    // Closing after each answer lets the loop tell where the connection stood (a body still arriving is
    // dropped there), and the guest's next request on the same id goes to whatever is shared by then.
    for (const method of ['OPTIONS', 'PROPFIND', 'GET', 'PUT']) {
      const res = await davRequest(engine, {
        method,
        path: '/any/where',
        body: method === 'PUT' ? 'data' : undefined,
      });
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.headers['connection']).toBe('close');
      expect(res.body.toString()).toContain('the VM has no shared folder configured');
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
