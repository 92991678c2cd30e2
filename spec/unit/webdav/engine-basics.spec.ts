import { readdirSync } from 'node:fs';
import { createWebdavEngine, type RequestRecord, type WebdavEngine } from '../../../src/webdav';
import { connect, davRequest, keepAliveClient, rawExchange } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

describe('WebDAV engine basics', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'hello.txt': 'hello world', 'docs/a.txt': 'A' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('serves a file with ETag and Last-Modified and no CORS or Digest headers', async () => {
    const res = await davRequest(engine, { method: 'GET', path: '/hello.txt' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello world');
    expect(res.headers.etag).toMatch(/^".+"$/);
    expect(res.headers['last-modified']).toBeDefined();
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('answers If-None-Match with 304', async () => {
    const first = await davRequest(engine, { method: 'GET', path: '/hello.txt' });
    const again = await davRequest(engine, {
      method: 'GET',
      path: '/hello.txt',
      headers: { 'If-None-Match': String(first.headers.etag) },
    });
    expect(again.status).toBe(304);
    // RFC 9110 §8.6: a 304 carries no Content-Length other than the 200's (a cache would store a length of 0).
    expect(again.headers['content-length']).toBeUndefined();
    const head = await davRequest(engine, {
      method: 'HEAD',
      path: '/hello.txt',
      headers: { 'If-None-Match': String(first.headers.etag) },
    });
    expect([head.status, head.headers['content-length']]).toEqual([304, undefined]);
  });

  it('records a request whose client left before the answer with status 0, not 200', async () => {
    const records: RequestRecord[] = [];
    const unsubscribe = engine.onRequest((record) => records.push(record));
    const client = connect(engine);
    // A body that never comes whole: the request waits, and the client leaves.
    client.write('PROPPATCH /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n<?xml');
    await new Promise((resolve) => setImmediate(resolve));
    client.destroy();
    while (records.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    unsubscribe();
    expect(records).toEqual([expect.objectContaining({ method: 'PROPPATCH', status: 0 })]);
  });

  it('reports the real total in Content-Range', async () => {
    await writeFiles(sandbox.share, { 'big.bin': Buffer.alloc(1000, 7) });
    const res = await davRequest(engine, {
      method: 'GET',
      path: '/big.bin',
      headers: { Range: 'bytes=100-199' },
    });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 100-199/1000');
    expect(res.body.length).toBe(100);
  });

  it('answers an unsatisfiable range with 416', async () => {
    const res = await davRequest(engine, {
      method: 'GET',
      path: '/hello.txt',
      headers: { Range: 'bytes=100-50' },
    });
    expect(res.status).toBe(416);
  });

  it('advertises DAV 1,2 and MS-Author-Via on OPTIONS', async () => {
    const res = await davRequest(engine, { method: 'OPTIONS', path: '/' });
    expect(res.status).toBe(200);
    expect(res.headers.dav).toBe('1,2');
    expect(res.headers['ms-author-via']).toBe('DAV');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('answers OPTIONS * (the server as a whole) as it answers OPTIONS /, and no other method with *', async () => {
    const headEnds = (received: string) => received.includes('\r\n\r\n');
    const whole = await rawExchange(engine, 'OPTIONS * HTTP/1.1\r\nHost: g\r\n\r\n', headEnds);
    const root = await rawExchange(engine, 'OPTIONS / HTTP/1.1\r\nHost: g\r\n\r\n', headEnds);
    const headersOf = (answer: string) =>
      answer
        .split('\r\n\r\n')[0]
        ?.split('\r\n')
        .filter((line) => /^(HTTP|DAV|Allow|MS-Author-Via)/i.test(line));
    expect(headersOf(whole)).toEqual(headersOf(root));
    expect(whole).toMatch(/^HTTP\/1.1 200 /);
    expect(await rawExchange(engine, 'GET * HTTP/1.1\r\nHost: g\r\n\r\n', headEnds)).toMatch(
      /^HTTP\/1.1 400 /,
    );
  });

  it('lists a folder with PROPFIND Depth 1', async () => {
    const res = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    expect(res.status).toBe(207);
    expect(res.body.toString()).toContain('hello.txt');
    expect(res.body.toString()).toContain('docs');
  });

  it('answers PROPFIND Depth infinity with 403', async () => {
    const res = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: 'infinity' } });
    expect(res.status).toBe(403);
  });

  it('creates, replaces, copies, moves and deletes', async () => {
    expect((await davRequest(engine, { method: 'PUT', path: '/new.txt', body: 'one' })).status).toBe(201);
    expect((await davRequest(engine, { method: 'PUT', path: '/new.txt', body: 'two' })).status).toBe(204);
    expect((await davRequest(engine, { method: 'MKCOL', path: '/made' })).status).toBe(201);
    const copy = await davRequest(engine, {
      method: 'COPY',
      path: '/new.txt',
      headers: { Destination: 'http://localhost:9843/made/copy.txt' },
    });
    expect(copy.status).toBe(201);
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/made/copy.txt',
      headers: { Destination: '/moved.txt' },
    });
    expect(move.status).toBe(201);
    expect((await davRequest(engine, { method: 'GET', path: '/moved.txt' })).body.toString()).toBe('two');
    expect((await davRequest(engine, { method: 'DELETE', path: '/moved.txt' })).status).toBe(204);
    expect((await davRequest(engine, { method: 'GET', path: '/moved.txt' })).status).toBe(404);
  });

  it('refuses a PUT whose parent folder is missing or a file with 409, and leaves no temp file', async () => {
    for (const [target, why] of [
      ['/nowhere/new.txt', 'The parent folder does not exist; create it first.'],
      ['/hello.txt/new.txt', 'A name on the way is a file, not a folder.'],
    ]) {
      const res = await davRequest(engine, { method: 'PUT', path: target as string, body: 'x' });
      expect([res.status, res.body.toString()]).toEqual([409, `${why}\n`]);
    }
    expect(readdirSync(sandbox.share).sort()).toEqual(['docs', 'hello.txt']);
  });

  it('answers MKCOL, PROPFIND, GET and DELETE of a name in a folder that does not exist', async () => {
    expect((await davRequest(engine, { method: 'MKCOL', path: '/nowhere/sub' })).status).toBe(409);
    expect(
      (await davRequest(engine, { method: 'PROPFIND', path: '/nowhere/a', headers: { Depth: '0' } })).status,
    ).toBe(404);
    expect((await davRequest(engine, { method: 'GET', path: '/hello.txt/a' })).status).toBe(404);
    expect((await davRequest(engine, { method: 'DELETE', path: '/nowhere/a' })).status).toBe(404);
  });

  it('refuses COPY with Overwrite: F onto an existing file with 412', async () => {
    const res = await davRequest(engine, {
      method: 'COPY',
      path: '/hello.txt',
      headers: { Destination: '/docs/a.txt', Overwrite: 'F' },
    });
    expect(res.status).toBe(412);
  });

  it('refuses MKCOL with a body (415) and malformed PROPFIND XML (400)', async () => {
    expect((await davRequest(engine, { method: 'MKCOL', path: '/x', body: '<x/>' })).status).toBe(415);
    const res = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/',
      headers: { Depth: '0' },
      body: '<foo>',
    });
    expect(res.status).toBe(400);
  });

  it('says what is wrong with a body that is not UTF-8, and what to send instead', async () => {
    const utf16 = Buffer.from(
      '\uFEFF<?xml version="1.0" encoding="UTF-16"?><D:propfind xmlns:D="DAV:"/>',
      'utf16le',
    );
    const res = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/',
      headers: { Depth: '0' },
      body: utf16,
    });
    expect(res.status).toBe(400);
    expect(res.body.toString()).toMatch(/not UTF-8 .*Send well-formed XML in UTF-8\./);
  });

  it('keeps one connection alive for several requests', async () => {
    const client = keepAliveClient(engine);
    try {
      expect((await client.request({ method: 'PUT', path: '/k.txt', body: 'kept' })).status).toBe(201);
      for (let i = 0; i < 5; i++) {
        const res = await client.request({ method: 'GET', path: '/k.txt' });
        expect([res.status, res.body.toString()]).toEqual([200, 'kept']);
      }
      expect(client.connection.destroyed).toBe(false);
    } finally {
      client.close();
    }
  });

  // RFC 9110 §8.6: a server must not send Content-Length with a 204; the connection must go on without it.
  it('answers 204 without Content-Length, and the connection goes on after it', async () => {
    const pipelined = [
      'PUT /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nnew',
      'COPY /hello.txt HTTP/1.1\r\nHost: h\r\nDestination: /docs/a.txt\r\n\r\n',
      'DELETE /docs/a.txt HTTP/1.1\r\nHost: h\r\n\r\n',
      'GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n',
    ].join('');
    const text = await rawExchange(engine, pipelined, (received) => received.endsWith('\r\n\r\nnew'));
    const heads = text.split(/(?=HTTP\/1\.1 )/);
    expect(heads.map((head) => head.slice(9, 12))).toEqual(['204', '204', '204', '200']);
    for (const head of heads.slice(0, 3)) expect(head).not.toMatch(/content-length|transfer-encoding/i);
  });

  it('reports each finished request', async () => {
    const records: RequestRecord[] = [];
    const unsubscribe = engine.onRequest((record) => records.push(record));
    await davRequest(engine, { method: 'PUT', path: '/r%20x.txt', body: 'abc' });
    await davRequest(engine, { method: 'GET', path: '/r%20x.txt' });
    while (records.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    unsubscribe();
    await davRequest(engine, { method: 'GET', path: '/hello.txt' });
    expect(
      records.map(({ method, path, status, bytesIn, bytesOut }) => ({
        method,
        path,
        status,
        bytesIn,
        bytesOut,
      })),
    ).toEqual([
      { method: 'PUT', path: '/r x.txt', status: 201, bytesIn: 3, bytesOut: 0 },
      { method: 'GET', path: '/r x.txt', status: 200, bytesIn: 0, bytesOut: 3 },
    ]);
  });

  it('rejects a missing root, a file as root, with clear errors', async () => {
    await expect(createWebdavEngine({ root: `${sandbox.base}/nope`, readOnly: false })).rejects.toThrow(
      /does not exist/,
    );
    await expect(createWebdavEngine({ root: `${sandbox.share}/hello.txt`, readOnly: true })).rejects.toThrow(
      /not a folder/,
    );
  });
});
