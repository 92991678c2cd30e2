import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord, WebdavEngine } from '../../../../src/webdav';
import { createMultiShareEngine } from '../../../../src/webdav/multi-share';
import { davRequest, keepAliveClient } from '../support/dav-client';

const LOCK_BODY =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype></D:lockinfo>';

describe('multi-share engine (a virtual root over several folders)', () => {
  let base: string;
  let docs: string;
  let media: string;
  let engine: WebdavEngine;
  const records: RequestRecord[] = [];

  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'spice-webdav-multi-'));
    docs = join(base, 'docs');
    media = join(base, 'media');
    mkdirSync(join(docs, 'sub'), { recursive: true });
    mkdirSync(media);
    writeFileSync(join(docs, 'a.txt'), 'alpha');
    writeFileSync(join(media, 'song.ogg'), 'la la');
    engine = await createMultiShareEngine([
      { name: 'docs', path: docs, readOnly: false },
      { name: 'My Media', path: media, readOnly: true },
    ]);
    records.length = 0;
    engine.onRequest((r) => records.push(r));
  });
  afterEach(async () => {
    await engine.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('lists the shares as collections of the root (PROPFIND Depth 1)', async () => {
    const r = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    expect(r.status).toBe(207);
    const xml = r.body.toString();
    expect(xml).toContain('<D:href>/docs/</D:href>');
    expect(xml).toContain('<D:href>/My%20Media/</D:href>');
    expect(xml).toContain('<D:displayname>My Media</D:displayname>');
    expect(xml.match(/<D:collection\/>/g)).toHaveLength(3);
  });

  it('answers OPTIONS and GET on the root, and refuses to change it', async () => {
    const options = await davRequest(engine, { method: 'OPTIONS', path: '/' });
    expect(options.status).toBe(200);
    expect(options.headers.dav).toContain('1');
    const get = await davRequest(engine, { method: 'GET', path: '/' });
    expect(get.body.toString()).toContain('My Media/  (read-only)');
    for (const [method, path] of [
      ['PUT', '/new.txt'],
      ['MKCOL', '/newdir'],
      ['DELETE', '/'],
      ['PROPPATCH', '/'],
    ]) {
      expect((await davRequest(engine, { method, path })).status).toBe(403);
    }
    expect((await davRequest(engine, { method: 'GET', path: '/nope/a.txt' })).status).toBe(404);
  });

  it('serves each share under its name, with hrefs carrying the prefix', async () => {
    const get = await davRequest(engine, { method: 'GET', path: '/docs/a.txt' });
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('alpha');
    const encoded = await davRequest(engine, { method: 'GET', path: '/My%20Media/song.ogg' });
    expect(encoded.body.toString()).toBe('la la');
    const list = await davRequest(engine, { method: 'PROPFIND', path: '/docs/', headers: { Depth: '1' } });
    expect(list.status).toBe(207);
    const hrefs = [...list.body.toString().matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
    expect(hrefs.length).toBe(3);
    for (const href of hrefs) expect(new URL(href, 'http://x').pathname).toMatch(/^\/docs\//);
    expect(records.map((r) => r.path)).toEqual(['/docs/a.txt', '/My Media/song.ogg', '/docs']);
  });

  it('keeps each share read-only or writable on its own', async () => {
    const put = await davRequest(engine, { method: 'PUT', path: '/docs/new.txt', body: 'written' });
    expect(put.status).toBe(201);
    expect(readFileSync(join(docs, 'new.txt'), 'utf8')).toBe('written');
    const refused = await davRequest(engine, { method: 'PUT', path: '/My%20Media/new.txt', body: 'x' });
    expect(refused.status).toBe(403);
    expect(existsSync(join(media, 'new.txt'))).toBe(false);
  });

  it('moves inside a share and refuses moves between shares', async () => {
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/docs/a.txt',
      headers: { Destination: 'http://localhost:9843/docs/sub/b.txt' },
    });
    expect(move.status).toBe(201);
    expect(readFileSync(join(docs, 'sub', 'b.txt'), 'utf8')).toBe('alpha');
    const across = await davRequest(engine, {
      method: 'COPY',
      path: '/docs/sub/b.txt',
      headers: { Destination: '/My%20Media/b.txt' },
    });
    expect(across.status).toBe(502);
    // Out of the read-only folder into the writable one: another repository too, not "read-only" (403).
    const outOf = await davRequest(engine, {
      method: 'COPY',
      path: '/My%20Media/song.ogg',
      headers: { Destination: '/docs/song.ogg' },
    });
    expect([outOf.status, existsSync(join(docs, 'song.ogg'))]).toEqual([502, false]);
  });

  it('says a write at the top level is refused because the top level is fixed, not read-only', async () => {
    for (const method of ['PUT', 'MKCOL']) {
      const res = await davRequest(engine, { method, path: '/new-top' });
      expect([res.status, res.body.toString()]).toEqual([
        403,
        expect.stringContaining('The top level only lists the shared folders'),
      ]);
    }
  });

  it('locks and unlocks inside a share with the lock root under the prefix', async () => {
    const lock = await davRequest(engine, { method: 'LOCK', path: '/docs/a.txt', body: LOCK_BODY });
    expect(lock.status).toBe(200);
    expect(lock.body.toString()).toMatch(/<D:lockroot><D:href>[^<]*\/docs\/a\.txt<\/D:href>/);
    const token = String(lock.headers['lock-token']);
    const withToken = await davRequest(engine, {
      method: 'PUT',
      path: '/docs/a.txt',
      headers: { If: `<http://localhost:9843/docs/a.txt> (${token})` },
      body: 'with token',
    });
    expect([200, 201, 204]).toContain(withToken.status);
    const unlock = await davRequest(engine, {
      method: 'UNLOCK',
      path: '/docs/a.txt',
      headers: { 'Lock-Token': token },
    });
    expect(unlock.status).toBe(204);
  });

  it('serves several requests over one keep-alive connection, switching shares', async () => {
    const client = keepAliveClient(engine);
    try {
      expect((await client.request({ method: 'GET', path: '/docs/a.txt' })).body.toString()).toBe('alpha');
      expect((await client.request({ method: 'PROPFIND', path: '/', headers: { Depth: '0' } })).status).toBe(
        207,
      );
      expect((await client.request({ method: 'GET', path: '/My%20Media/song.ogg' })).body.toString()).toBe(
        'la la',
      );
    } finally {
      client.close();
    }
  });

  it('gives back a dead property holding a DAV href exactly as it was set', async () => {
    const value = '<D:href>/elsewhere/x.txt</D:href>';
    const set = await davRequest(engine, {
      method: 'PROPPATCH',
      path: '/docs/a.txt',
      body:
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>' +
        `<Z:link>${value}</Z:link></D:prop></D:set></D:propertyupdate>`,
    });
    expect(set.status).toBe(207);
    const read = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/docs/a.txt',
      headers: { Depth: '0' },
      body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><Z:link/></D:prop></D:propfind>',
    });
    expect(read.body.toString()).toContain('>/elsewhere/x.txt</');
  });

  it('lists the root alone with Depth 0', async () => {
    const r = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '0' } });
    const hrefs = [...r.body.toString().matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
    expect([r.status, hrefs]).toEqual([207, ['/']]);
  });

  it('refuses a MOVE onto the root of a shared folder', async () => {
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/docs/a.txt',
      headers: { Destination: '/docs/' },
    });
    expect([move.status, readFileSync(join(docs, 'a.txt'), 'utf8')]).toEqual([403, 'alpha']);
  });

  it('refuses a MOVE into the virtual root as a move to another folder (502)', async () => {
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/docs/a.txt',
      headers: { Destination: '/a.txt' },
    });
    expect([move.status, existsSync(join(docs, 'a.txt'))]).toEqual([502, true]);
  });

  it('keeps a lock of one folder from protecting the same path in another', async () => {
    writeFileSync(join(media, 'a.txt'), 'beta');
    const other = await createMultiShareEngine([
      { name: 'one', path: docs, readOnly: false },
      { name: 'two', path: media, readOnly: false },
    ]);
    try {
      const lock = await davRequest(other, { method: 'LOCK', path: '/one/a.txt', body: LOCK_BODY });
      expect(lock.status).toBe(200);
      const put = await davRequest(other, { method: 'PUT', path: '/two/a.txt', body: 'free' });
      expect([put.status, readFileSync(join(media, 'a.txt'), 'utf8')]).toEqual([204, 'free']);
    } finally {
      await other.close();
    }
  });

  it('refuses a PUT without the token of a lock taken through the mount prefix', async () => {
    const lock = await davRequest(engine, { method: 'LOCK', path: '/docs/a.txt', body: LOCK_BODY });
    expect(lock.status).toBe(200);
    const put = await davRequest(engine, { method: 'PUT', path: '/docs/a.txt', body: 'no token' });
    expect([put.status, put.body.toString()]).toEqual([423, expect.stringContaining('/docs/a.txt</D:href>')]);
  });

  it('refuses bad share lists and missing folders with a message that names the share', async () => {
    await expect(createMultiShareEngine([])).rejects.toThrow(/no folder/);
    await expect(
      createMultiShareEngine([
        { name: 'a', path: docs, readOnly: false },
        { name: 'A', path: media, readOnly: false },
      ]),
    ).rejects.toThrow(/used twice/);
    await expect(createMultiShareEngine([{ name: 'x/y', path: docs, readOnly: false }])).rejects.toThrow(
      /slash/,
    );
    for (const name of ['tab\there', 'csi\u009b31m', 'rlo\u202etxt.exe', 'line\u2028sep'])
      await expect(createMultiShareEngine([{ name, path: docs, readOnly: false }])).rejects.toThrow(
        /contains a control or text-direction character/,
      );
    await expect(
      createMultiShareEngine([{ name: 'gone', path: join(base, 'missing'), readOnly: false }]),
    ).rejects.toThrow(/share "gone"/);
  });

  it('refuses folders that are the same or hold one another: their locks would not protect each other', async () => {
    // Each mount has its own namespace lock and temp files: a MOVE through one under a PUT through the other
    // left the upload's temp file behind, hidden (an attacker's finding, session 23).
    await expect(
      createMultiShareEngine([
        { name: 'rw', path: docs, readOnly: false },
        { name: 'ro', path: docs, readOnly: true },
      ]),
    ).rejects.toThrow(/shares "rw" and "ro" are the same folder/);
    mkdirSync(join(docs, 'inner'), { recursive: true });
    await expect(
      createMultiShareEngine([
        { name: 'inner', path: join(docs, 'inner'), readOnly: false },
        { name: 'media', path: media, readOnly: false },
        { name: 'outer', path: `${docs}/`, readOnly: false },
      ]),
    ).rejects.toThrow(
      /shares "outer" and "inner" overlap \(.*inner is inside .*\); share folders that do not contain/,
    );
    // Through a link: the paths as written differ, the folders do not (the engine resolves them).
    symlinkSync(docs, join(base, 'docs-link'));
    await expect(
      createMultiShareEngine([
        { name: 'one', path: docs, readOnly: false },
        { name: 'two', path: join(base, 'docs-link'), readOnly: false },
      ]),
    ).rejects.toThrow(/shares "one" and "two" are the same folder/);
    // A name that merely starts like another folder's is no overlap.
    mkdirSync(`${docs}-more`, { recursive: true });
    const side = await createMultiShareEngine([
      { name: 'docs', path: docs, readOnly: false },
      { name: 'more', path: `${docs}-more`, readOnly: false },
    ]);
    await side.close();
  });
});
