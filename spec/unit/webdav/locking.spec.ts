import { readFileSync, readdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { MAX_CONDITIONS } from '../../../src/webdav/locks/if-header';
import { davRequest, startTwoPartPut, type DavResponse } from './support/dav-client';
import { until } from './support/until';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

const lockBody = (scope: 'exclusive' | 'shared', owner = 'me') =>
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">' +
  `<D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype>` +
  `<D:owner>${owner}</D:owner></D:lockinfo>`;

/** Every guest request is the same anonymous user: a lock protects by its token, submitted in `If`. */
describe('locks', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a.txt': 'alpha', 'other.txt': 'other', 'dir/in.txt': 'in' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { maxStatefulPaths: 3 });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  async function lock(
    path: string,
    scope: 'exclusive' | 'shared' = 'exclusive',
    depth = '0',
  ): Promise<{ res: DavResponse; token: string }> {
    const res = await davRequest(engine, {
      method: 'LOCK',
      path,
      headers: { Depth: depth },
      body: lockBody(scope),
    });
    return { res, token: String(res.headers['lock-token']).replace(/^<|>$/g, '') };
  }

  const put = (path: string, headers: Record<string, string> = {}) =>
    davRequest(engine, { method: 'PUT', path, headers, body: 'new' });

  it('answers LOCK with the lock discovery and a bracketed Lock-Token', async () => {
    const { res, token } = await lock('/a.txt');
    expect(res.status).toBe(200);
    expect(res.headers['lock-token']).toBe(`<${token}>`);
    const body = res.body.toString();
    expect(body).toContain(`<D:locktoken><D:href>${token}</D:href></D:locktoken>`);
    expect(body).toContain('<D:owner>me</D:owner>');
    expect(body).toContain('<D:depth>0</D:depth>');
    expect(body).toMatch(/<D:timeout>Second-\d+<\/D:timeout>/);
  });

  it('protects a locked file or folder reached through a link the host made inside the share', async () => {
    symlinkSync('a.txt', path.join(sandbox.share, 'inner'));
    symlinkSync('dir', path.join(sandbox.share, 'dirlink'));
    const file = await lock('/a.txt');
    const folder = await lock('/dir', 'exclusive', 'infinity');
    expect((await put('/inner')).status).toBe(423);
    expect((await put('/dirlink/new.txt')).status).toBe(423);
    expect((await davRequest(engine, { method: 'DELETE', path: '/dirlink/in.txt' })).status).toBe(423);
    expect((await davRequest(engine, { method: 'MKCOL', path: '/dirlink/sub' })).status).toBe(423);
    expect(readFileSync(path.join(sandbox.share, 'a.txt'), 'utf8')).toBe('alpha');
    expect(readdirSync(path.join(sandbox.share, 'dir'))).toEqual(['in.txt']);
    // With the tokens the same requests pass; removing a link is no change to what it points to.
    expect((await put('/inner', { If: `(<${file.token}>)` })).status).toBe(204);
    expect((await put('/dirlink/new.txt', { If: `(<${folder.token}>)` })).status).toBe(201);
    expect((await davRequest(engine, { method: 'DELETE', path: '/dirlink' })).status).toBe(204);
    expect(readFileSync(path.join(sandbox.share, 'a.txt'), 'utf8')).toBe('new');
  });

  it('refuses changes without the token (423) and allows them with it, tagged or untagged', async () => {
    const { token } = await lock('/a.txt');
    expect((await put('/a.txt')).status).toBe(423);
    expect((await davRequest(engine, { method: 'DELETE', path: '/a.txt' })).status).toBe(423);
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/a.txt',
      headers: { Destination: '/b.txt' },
    });
    expect(move.status).toBe(423);
    const copyOnto = await davRequest(engine, {
      method: 'COPY',
      path: '/other.txt',
      headers: { Destination: '/a.txt' },
    });
    expect(copyOnto.status).toBe(423);
    const locked = await put('/a.txt', { If: '(<urn:uuid:not-the-token>) (Not <DAV:no-lock>)' });
    expect(locked.status).toBe(423);
    expect(locked.body.toString()).toContain('<D:lock-token-submitted><D:href>/a.txt</D:href>');
    expect((await put('/a.txt', { If: `(<${token}>)` })).status).toBe(204);
    expect((await put('/a.txt', { If: `<http://guest/a.txt> (<${token}>)` })).status).toBe(204);
    const copyFrom = await davRequest(engine, {
      method: 'COPY',
      path: '/a.txt',
      headers: { Destination: '/copy.txt' },
    });
    expect(copyFrom.status).toBe(201);
    expect((await davRequest(engine, { method: 'GET', path: '/a.txt' })).body.toString()).toBe('new');
  });

  // An attacker's finding (session 28): the checks ran once, before the body, so an upload begun before
  // another client's LOCK replaced what that client had locked and written.
  it.each([
    ['streamed (chunked)', {}],
    ['small (Content-Length)', { 'Content-Length': String('first half, second half'.length) }],
  ])('refuses an upload begun before a LOCK taken while its body came (%s): 423', async (_, headers) => {
    const before = readdirSync(sandbox.share).length;
    const early = startTwoPartPut(engine, '/a.txt', 'first half, ', headers);
    // A streamed upload has passed its first checks once its temp file is there.
    if (!('Content-Length' in headers)) await until(() => readdirSync(sandbox.share).length > before);
    const { token } = await lock('/a.txt');
    expect((await put('/a.txt', { If: `(<${token}>)` })).status).toBe(204);
    early.finish('second half');
    const late = await early.response;
    expect(late.status).toBe(423);
    expect(late.body.toString()).toContain('<D:lock-token-submitted><D:href>/a.txt</D:href>');
    expect(readFileSync(path.join(sandbox.share, 'a.txt'), 'utf8')).toBe('new');
    expect(readdirSync(sandbox.share).length).toBe(before); // no temp file left
  });

  it('judges an If header with an entity tag again when an upload takes effect (412)', async () => {
    const etag = String((await davRequest(engine, { method: 'HEAD', path: '/a.txt' })).headers.etag);
    const before = readdirSync(sandbox.share).length;
    const early = startTwoPartPut(engine, '/a.txt', 'stale ', { If: `([${etag}])` });
    await until(() => readdirSync(sandbox.share).length > before);
    expect((await put('/a.txt')).status).toBe(204);
    early.finish('edit');
    expect((await early.response).status).toBe(412);
    expect(readFileSync(path.join(sandbox.share, 'a.txt'), 'utf8')).toBe('new');
  });

  it('answers 412 when the If header does not hold', async () => {
    const { token } = await lock('/a.txt');
    const etag = String((await davRequest(engine, { method: 'HEAD', path: '/a.txt' })).headers.etag);
    expect((await put('/a.txt', { If: `(<${token}> [${etag}])` })).status).toBe(204);
    const newEtag = String((await davRequest(engine, { method: 'HEAD', path: '/a.txt' })).headers.etag);
    expect((await put('/a.txt', { If: `(<${token}> [${etag.replace(/"$/, 'x"')}])` })).status).toBe(412);
    expect((await put('/a.txt', { If: `(<DAV:no-lock> [${newEtag}])` })).status).toBe(412);
    expect((await put('/other.txt', { If: '(<DAV:no-lock>)' })).status).toBe(412);
  });

  it('refuses a second lock over an exclusive one, and shares shared locks', async () => {
    await lock('/a.txt');
    expect((await lock('/a.txt')).res.status).toBe(423);
    expect((await lock('/a.txt', 'shared')).res.status).toBe(423);
    const first = await lock('/other.txt', 'shared');
    const second = await lock('/other.txt', 'shared');
    expect([first.res.status, second.res.status]).toEqual([200, 200]);
    expect((await lock('/other.txt')).res.status).toBe(423);
    expect((await put('/other.txt')).status).toBe(423);
    expect((await put('/other.txt', { If: `(<${second.token}>)` })).status).toBe(204);
  });

  it('protects every member of a collection locked with Depth infinity, and refreshes it through a member', async () => {
    const { token } = await lock('/dir/', 'exclusive', 'infinity');
    expect((await put('/dir/in.txt')).status).toBe(423);
    expect((await put('/dir/new.txt')).status).toBe(423);
    expect((await davRequest(engine, { method: 'MKCOL', path: '/dir/sub' })).status).toBe(423);
    expect((await davRequest(engine, { method: 'DELETE', path: '/dir' })).status).toBe(423);
    expect((await put('/dir/new.txt', { If: `<http://guest/dir/> (<${token}>)` })).status).toBe(201);
    const refresh = await davRequest(engine, {
      method: 'LOCK',
      path: '/dir/in.txt',
      headers: { If: `(<${token}>)`, Timeout: 'Second-100' },
    });
    expect(refresh.status).toBe(200);
    expect(refresh.body.toString()).toContain(token);
    expect(refresh.body.toString()).toContain('<D:timeout>Second-100</D:timeout>');
  });

  it('shows the lock in PROPFIND lockdiscovery, also on members of a deep lock', async () => {
    const { token } = await lock('/dir', 'exclusive', 'infinity');
    const propfind = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/dir/in.txt',
      headers: { Depth: '0' },
      body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>',
    });
    expect(propfind.status).toBe(207);
    expect(propfind.body.toString()).toContain(`<D:href>${token}</D:href>`);
    expect(propfind.body.toString()).toContain('<D:lockroot><D:href>/dir</D:href></D:lockroot>');
  });

  it('UNLOCKs with the right token (204) and answers a wrong or missing one with 409 or 400', async () => {
    const { token } = await lock('/a.txt');
    const unlock = (headers: Record<string, string>) =>
      davRequest(engine, { method: 'UNLOCK', path: '/a.txt', headers });
    expect((await unlock({ 'Lock-Token': '<opaquelocktoken:foobar>' })).status).toBe(409);
    expect((await unlock({})).status).toBe(400);
    expect(
      (
        await davRequest(engine, {
          method: 'UNLOCK',
          path: '/other.txt',
          headers: { 'Lock-Token': `<${token}>` },
        })
      ).status,
    ).toBe(409);
    expect((await unlock({ 'Lock-Token': `<${token}>` })).status).toBe(204);
    expect((await unlock({ 'Lock-Token': `<${token}>` })).status).toBe(409);
    expect((await put('/a.txt')).status).toBe(204);
  });

  it('creates an empty file when locking an unmapped URL (201), and 409 without its parent', async () => {
    const { res, token } = await lock('/fresh.txt');
    expect(res.status).toBe(201);
    expect((await davRequest(engine, { method: 'GET', path: '/fresh.txt' })).body.toString()).toBe('');
    expect((await put('/fresh.txt', { If: `(<${token}>)` })).status).toBe(204);
    expect((await lock('/missing/x.txt')).res.status).toBe(409);
  });

  it('drops the locks of a deleted resource', async () => {
    const { token } = await lock('/a.txt');
    expect(
      (await davRequest(engine, { method: 'DELETE', path: '/a.txt', headers: { If: `(<${token}>)` } }))
        .status,
    ).toBe(204);
    expect((await put('/a.txt')).status).toBe(201);
  });

  it('holds a bounded number of locks (507 beyond) and refuses malformed LOCK requests with 400', async () => {
    for (const name of ['/a.txt', '/other.txt', '/dir/in.txt'])
      expect((await lock(name)).res.status).toBe(200);
    expect((await lock('/dir')).res.status).toBe(507);
    const bad = (body: string, headers: Record<string, string> = {}) =>
      davRequest(engine, { method: 'LOCK', path: '/x.txt', headers, body });
    expect(
      (await bad('<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope></D:lockinfo>')).status,
    ).toBe(400);
    expect((await bad(lockBody('exclusive'), { Depth: '1' })).status).toBe(400);
    expect((await bad('<D:propfind xmlns:D="DAV:"/>')).status).toBe(400);
    expect((await bad('')).status).toBe(400);
  });

  it('refuses a malformed If header with 400 and does nothing, locked or not', async () => {
    await lock('/a.txt');
    expect((await put('/a.txt', { If: '(((' })).status).toBe(400);
    const other = await put('/other.txt', { If: '(((' });
    expect(other.status).toBe(400);
    expect(other.body.toString()).toMatch(/If header cannot be read/);
    // Over its budget of conditions, or a condition outside the grammar: the same (an attacker's finding: the
    // request went on unconditionally, a DELETE removed what its entity-tag condition should have kept).
    const many = Array.from({ length: MAX_CONDITIONS + 1 }, () => '(["x"])').join(' ');
    expect((await put('/other.txt', { If: many })).status).toBe(400);
    expect((await put('/other.txt', { If: '(Not Not ["x"])' })).status).toBe(400);
    // A well-formed one that does not hold is still a 412, one that holds goes on.
    expect((await put('/other.txt', { If: '(["nope"])' })).status).toBe(412);
    expect((await put('/other.txt', { If: '(Not ["nope"])' })).status).toBe(204);
  });
});
