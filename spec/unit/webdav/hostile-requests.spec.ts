import { readdirSync } from 'node:fs';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest, rawExchange, statusesIn } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

/** Findings §1.3: single requests that end a process running webdav-server 2.6.3 as shipped. */
describe('requests that kill webdav-server 2.6.3 as shipped', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a.txt': 'alpha' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  async function rawStatus(request: string): Promise<number | undefined> {
    const text = await rawExchange(engine, request, (received) => /\r\n\r\n/.test(received));
    return statusesIn(text)[0];
  }

  async function expectStillServing() {
    expect((await davRequest(engine, { method: 'GET', path: '/a.txt' })).body.toString()).toBe('alpha');
  }

  it.each(['/%zz', '/%ff%fe', '/%NETHOOD%/', '/%00', '/a.txt%00', '/%c0%af'])(
    'answers GET and PROPFIND %s with 400',
    async (target) => {
      expect(await rawStatus(`GET ${target} HTTP/1.1\r\nHost: g\r\n\r\n`)).toBe(400);
      expect(await rawStatus(`PROPFIND ${target} HTTP/1.1\r\nHost: g\r\nDepth: 0\r\n\r\n`)).toBe(400);
      await expectStillServing();
    },
  );

  it.each(['/%zz', 'http://g/%ff%fe', '/b%00.txt', '/%NETHOOD%/'])(
    'answers COPY and MOVE to %s with 400',
    async (dest) => {
      for (const method of ['COPY', 'MOVE']) {
        const res = await davRequest(engine, { method, path: '/a.txt', headers: { Destination: dest } });
        expect(res.status).toBe(400);
      }
      await expectStillServing();
    },
  );

  it('answers a malformed If header ((( on GET, PUT and DELETE with 400, does nothing, and keeps serving', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'])
      expect((await davRequest(engine, { method, path: '/a.txt', headers: { If: '(((' } })).status).toBe(400);
    expect(readdirSync(sandbox.share)).toContain('a.txt');
    await expectStillServing();
  });

  it.each(['(<urn:uuid:1234>)', '(Not <DAV:no-lock>)', '(<urn:uuid:1> ["etag"]) (Not <DAV:no-lock>)'])(
    'survives an untagged If header %s on GET, PUT and DELETE',
    async (ifHeader) => {
      expect(
        (await davRequest(engine, { method: 'GET', path: '/a.txt', headers: { If: ifHeader } })).status,
      ).toBe(200);
      const put = await davRequest(engine, {
        method: 'PUT',
        path: '/b.txt',
        headers: { If: ifHeader },
        body: 'b',
      });
      expect(put.status).toBe(201);
      expect(
        (await davRequest(engine, { method: 'DELETE', path: '/b.txt', headers: { If: ifHeader } })).status,
      ).toBe(204);
      await expectStillServing();
    },
  );

  it('answers PROPPATCH with several set/remove blocks once, and keeps serving', async () => {
    const body =
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/z">' +
      '<D:set><D:prop><Z:one>1</Z:one></D:prop></D:set>' +
      '<D:set><D:prop><Z:two>2</Z:two></D:prop></D:set>' +
      '<D:remove><D:prop><Z:three/></D:prop></D:remove></D:propertyupdate>';
    const res = await davRequest(engine, { method: 'PROPPATCH', path: '/a.txt', body });
    expect(res.status).toBe(207);
    await expectStillServing();
  });

  it('answers an absurd Content-Length on PROPFIND with 413 instead of allocating it', async () => {
    const status = await rawStatus(
      'PROPFIND / HTTP/1.1\r\nHost: g\r\nDepth: 0\r\nContent-Length: 99999999999\r\n\r\n',
    );
    expect(status).toBe(413);
    await expectStillServing();
  });

  it('answers a request target with a fragment with 400', async () => {
    expect(await rawStatus('DELETE /a.txt#frag HTTP/1.1\r\nHost: g\r\n\r\n')).toBe(400);
    await expectStillServing();
  });

  it('answers partial PUT (Content-Range) with 400 and leaves the file alone', async () => {
    const res = await davRequest(engine, {
      method: 'PUT',
      path: '/a.txt',
      headers: { 'Content-Range': 'bytes 0-2/12' },
      body: 'xyz',
    });
    expect(res.status).toBe(400);
    await expectStillServing();
  });

  it('answers a transfer coding other than chunked with 501 and stores nothing', async () => {
    // The coding's bytes do not matter: the engine must not take them for the file's.
    const request =
      'PUT /te.txt HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
    expect(await rawStatus(request)).toBe(501);
    expect((await davRequest(engine, { method: 'GET', path: '/te.txt' })).status).toBe(404);
    const chunked = await davRequest(engine, {
      method: 'PUT',
      path: '/plain.txt',
      headers: { 'Transfer-Encoding': 'Chunked' },
      body: 'plain',
    });
    expect(chunked.status).toBe(201);
    await expectStillServing();
  });

  it('takes a trailing slash to name a folder: a file so named is 404, a PUT, LOCK, COPY or MOVE making one 409', async () => {
    const statusOf = async (method: string, path: string, headers: Record<string, string> = {}) =>
      (await davRequest(engine, { method, path, headers })).status;
    expect(await statusOf('GET', '/a.txt/')).toBe(404);
    expect(await statusOf('HEAD', '/a.txt/')).toBe(404);
    expect(await statusOf('PROPFIND', '/a.txt/', { Depth: '0' })).toBe(404);
    expect(await statusOf('DELETE', '/a.txt/')).toBe(404);
    expect(await statusOf('MOVE', '/a.txt/', { Destination: '/b.txt' })).toBe(404);
    expect(await statusOf('MKCOL', '/a.txt/')).toBe(405); // the name is taken
    const put = await davRequest(engine, { method: 'PUT', path: '/new/', body: 'x' });
    expect(put.status).toBe(409);
    expect(await statusOf('GET', '/new')).toBe(404); // no file "new" was made
    // LOCK of a free name makes an empty file, so "name/" is refused as for PUT.
    const lockBody =
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
      '<D:locktype><D:write/></D:locktype></D:lockinfo>';
    expect((await davRequest(engine, { method: 'LOCK', path: '/locked/', body: lockBody })).status).toBe(409);
    expect(await statusOf('GET', '/locked')).toBe(404);
    // A file copied or moved to "name/" would become a file under a folder's name.
    expect(await statusOf('COPY', '/a.txt', { Destination: '/c/' })).toBe(409);
    expect(await statusOf('MOVE', '/a.txt', { Destination: '/c/' })).toBe(409);
    expect(await statusOf('GET', '/c')).toBe(404);
    expect(await statusOf('MKCOL', '/dir/')).toBe(201);
    expect(await statusOf('PROPFIND', '/dir/', { Depth: '1' })).toBe(207);
    await expectStillServing();
  });

  it('answers methods it does not implement with 501 and POST with 405', async () => {
    expect((await davRequest(engine, { method: 'PATCH', path: '/a.txt', body: 'x' })).status).toBe(501);
    expect((await davRequest(engine, { method: 'REPORT', path: '/a.txt' })).status).toBe(501);
    // Node's parser itself rejects a method it has never heard of, before the engine sees it.
    expect(await rawStatus('BREW /a.txt HTTP/1.1\r\nHost: g\r\n\r\n')).toBe(400);
    expect((await davRequest(engine, { method: 'POST', path: '/a.txt', body: 'x' })).status).toBe(405);
    await expectStillServing();
  });

  it('adds the angle brackets RFC 4918 requires around Lock-Token', async () => {
    const body =
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
      '<D:locktype><D:write/></D:locktype><D:owner>spec</D:owner></D:lockinfo>';
    const res = await davRequest(engine, { method: 'LOCK', path: '/a.txt', body });
    expect(res.status).toBe(200);
    expect(res.headers['lock-token']).toMatch(/^<.+>$/);
    const unlock = await davRequest(engine, {
      method: 'UNLOCK',
      path: '/a.txt',
      headers: { 'Lock-Token': String(res.headers['lock-token']) },
    });
    expect(unlock.status).toBe(204);
  });
});
