import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest } from './support/dav-client';
import { propertyOf, readMultistatus } from './support/multistatus';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

const NS = 'http://example.com/ns/';

const proppatch = (blocks: string) =>
  `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${NS}">${blocks}</D:propertyupdate>`;

const propfindOf = (names: string) =>
  `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="${NS}"><D:prop>${names}</D:prop></D:propfind>`;

describe('dead properties', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a b.txt': 'alpha', 'dir/in.txt': 'in' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const patch = (path: string, blocks: string) =>
    davRequest(engine, { method: 'PROPPATCH', path, body: proppatch(blocks) });
  const propfind = async (path: string, body: string, depth = '0') =>
    (await davRequest(engine, { method: 'PROPFIND', path, headers: { Depth: depth }, body })).body.toString();

  it('stores several set/remove blocks in document order and gives the values back', async () => {
    const res = await patch(
      '/a%20b.txt',
      '<D:set><D:prop><Z:one>1</Z:one></D:prop></D:set><D:set><D:prop><Z:two>&#65536;</Z:two></D:prop></D:set>' +
        '<D:remove><D:prop><Z:one/></D:prop></D:remove><D:set><D:prop><Z:one>again</Z:one></D:prop></D:set>' +
        '<D:set><D:prop><none xmlns="">n</none></D:prop></D:set>',
    );
    expect(res.status).toBe(207);
    expect(res.body.toString()).toContain('HTTP/1.1 200 OK');
    const found = await propfind('/a%20b.txt', propfindOf('<Z:one/><Z:two/><Z:three/><none xmlns=""/>'));
    const [response] = readMultistatus(found);
    expect(propertyOf(response, NS, 'one')).toBe(`<{${NS}}one>again</>`);
    expect(propertyOf(response, NS, 'two')).toBe(`<{${NS}}two>\u{10000}</>`);
    expect(propertyOf(response, '', 'none')).toBe('<{}none>n</>');
    expect(propertyOf(response, NS, 'three', '404')).toBe(`<{${NS}}three></>`);
  });

  it('lists dead properties in allprop and propname answers, Depth 1 included', async () => {
    await patch('/dir/in.txt', '<D:set><D:prop><Z:tag>x</Z:tag></D:prop></D:set>');
    const listing = readMultistatus(await propfind('/dir/', '', '1'));
    expect(
      propertyOf(
        listing.find((r) => r.href.endsWith('/in.txt')),
        NS,
        'tag',
      ),
    ).toBe(`<{${NS}}tag>x</>`);
    const names = await propfind('/dir/in.txt', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>');
    expect(propertyOf(readMultistatus(names)[0], NS, 'tag')).toBe(`<{${NS}}tag></>`);
  });

  it('refuses DAV: properties (403, the rest 424) and changes nothing then', async () => {
    const res = await patch(
      '/dir/in.txt',
      '<D:set><D:prop><Z:ok>1</Z:ok></D:prop></D:set><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set>',
    );
    expect(res.status).toBe(207);
    expect(res.body.toString()).toMatch(/<D:getetag\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden/);
    expect(propertyOf(readMultistatus(res.body)[0], NS, 'ok', '424')).toBe(`<{${NS}}ok></>`);
    expect(await propfind('/dir/in.txt', propfindOf('<Z:ok/>'))).toContain('404 Not Found');
  });

  it('moves properties with MOVE, copies them with COPY, and forgets them with DELETE', async () => {
    await patch('/dir/in.txt', '<D:set><D:prop><Z:p>v</Z:p></D:prop></D:set>');
    const copy = await davRequest(engine, {
      method: 'COPY',
      path: '/dir',
      headers: { Destination: '/copy' },
    });
    expect(copy.status).toBe(201);
    const copied = readMultistatus(await propfind('/copy/in.txt', propfindOf('<Z:p/>')));
    expect(propertyOf(copied[0], NS, 'p')).toBe(`<{${NS}}p>v</>`);
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/dir/in.txt',
      headers: { Destination: '/moved.txt' },
    });
    expect(move.status).toBe(201);
    const moved = readMultistatus(await propfind('/moved.txt', propfindOf('<Z:p/>')));
    expect(propertyOf(moved[0], NS, 'p')).toBe(`<{${NS}}p>v</>`);
    expect((await davRequest(engine, { method: 'DELETE', path: '/moved.txt' })).status).toBe(204);
    await writeFiles(sandbox.share, { 'moved.txt': 'again' });
    expect(await propfind('/moved.txt', propfindOf('<Z:p/>'))).toContain('404 Not Found');
  });

  it('answers 404 for a missing resource and 400 for a body that is not a propertyupdate', async () => {
    expect((await patch('/nope.txt', '<D:set><D:prop><Z:p>v</Z:p></D:prop></D:set>')).status).toBe(404);
    const wrong = await davRequest(engine, {
      method: 'PROPPATCH',
      path: '/dir/in.txt',
      body: '<D:propfind xmlns:D="DAV:"/>',
    });
    expect(wrong.status).toBe(400);
  });
});
