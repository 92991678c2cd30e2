import { symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest, rawExchange, statusesIn } from './support/dav-client';
import { makeSandbox, manifest, writeFiles, type Sandbox } from './support/temp-share';

const SECRET = 'TOP SECRET';

/** Findings §5: every spelling of "up" and every symlink that leaves the share. */
const TRAVERSALS = [
  '/../outside/secret.txt',
  '/%2e%2e/outside/secret.txt',
  '/%2e%2e%2foutside%2fsecret.txt',
  '/..%2foutside%2fsecret.txt',
  '/%252e%252e/outside/secret.txt',
  '/sub/../../outside/secret.txt',
  '/../share-evil/secret2.txt',
  'http://localhost:9843/../outside/secret.txt',
  'http://localhost:9843/%2e%2e/outside/secret.txt',
];

// Both ways the engine makes its calls on names (file-calls.ts): on the event loop (this machine's temp folder
// is local) and through the thread pool (a share on a network or FUSE file system).
describe.each(['auto', 'pool'] as const)('confinement to the shared folder (file calls: %s)', (fileCalls) => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let outsideBefore: string[];
  let evilBefore: string[];

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'file.txt': 'inside', 'sub/inner.txt': 'inner' });
    await writeFiles(sandbox.outside, { 'secret.txt': SECRET, 'victim.txt': SECRET });
    await writeFiles(sandbox.evil, { 'secret2.txt': SECRET });
    symlinkSync(path.join(sandbox.outside, 'secret.txt'), path.join(sandbox.share, 'link-file'));
    symlinkSync(sandbox.outside, path.join(sandbox.share, 'link-out'));
    symlinkSync('../file.txt', path.join(sandbox.share, 'sub', 'inner-link'));
    symlinkSync(path.join(sandbox.share, 'nowhere'), path.join(sandbox.share, 'dangling'));
    symlinkSync(path.join(sandbox.outside, 'not-yet.txt'), path.join(sandbox.share, 'dangling-out'));
    outsideBefore = manifest(sandbox.outside);
    evilBefore = manifest(sandbox.evil);
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  function expectOutsideUntouched() {
    expect(manifest(sandbox.outside)).toEqual(outsideBefore);
    expect(manifest(sandbox.evil)).toEqual(evilBefore);
  }

  /** Raw request line, so no client normalises the path for us. */
  async function raw(method: string, target: string, headers: Record<string, string> = {}, body = '') {
    const head = [`${method} ${target} HTTP/1.1`, 'Host: localhost:9843', `Content-Length: ${body.length}`]
      .concat(Object.entries(headers).map(([name, value]) => `${name}: ${value}`))
      .join('\r\n');
    const text = await rawExchange(engine, `${head}\r\n\r\n${body}`, (received) => /\r\n\r\n/.test(received));
    return { status: statusesIn(text)[0], text };
  }

  it.each(TRAVERSALS)('GET %s is refused and leaks nothing', async (target) => {
    const { status, text } = await raw('GET', target);
    expect([400, 403, 404]).toContain(status);
    expect(text).not.toContain(SECRET);
  });

  it.each(TRAVERSALS)('PUT and DELETE %s change nothing outside', async (target) => {
    expect([400, 403, 404, 409]).toContain((await raw('PUT', target, {}, 'pwned')).status);
    expect([400, 403, 404]).toContain((await raw('DELETE', target)).status);
    expectOutsideUntouched();
  });

  it.each(
    TRAVERSALS.map((target) => (target.startsWith('http') ? target : `http://localhost:9843${target}`)),
  )('COPY and MOVE to %s change nothing outside', async (destination) => {
    for (const method of ['COPY', 'MOVE']) {
      const { status } = await raw(method, '/file.txt', { Destination: destination, Overwrite: 'T' });
      expect([400, 403, 404, 409]).toContain(status);
    }
    expectOutsideUntouched();
    expect((await davRequest(engine, { method: 'GET', path: '/file.txt' })).body.toString()).toBe('inside');
  });

  // On the host a backslash is a character like any other: `..\outside\secret.txt` is one name in the share.
  it('takes a backslash as part of a name: it neither climbs nor separates', async () => {
    await writeFiles(sandbox.share, { 'x/y': 'under x', 'x\\y': 'one name' });
    expect((await davRequest(engine, { method: 'GET', path: '/x%5Cy' })).body.toString()).toBe('one name');
    expect((await raw('DELETE', '/x%5Cy')).status).toBe(204);
    const names = () => manifest(sandbox.share).map((line) => line.split(' ')[1]);
    expect(names()).toContain('x/y');
    expect(names()).not.toContain('x\\y');
    expect((await raw('PUT', '/..%5coutside%5csecret.txt', {}, 'kept in')).status).toBe(201);
    expect(names()).toContain('..\\outside\\secret.txt');
    expectOutsideUntouched();
  });

  it('never serves, lists or writes through a symlink that leaves the share', async () => {
    for (const target of ['/link-file', '/link-out/secret.txt', '/dangling-out']) {
      const res = await davRequest(engine, { method: 'GET', path: target });
      expect(res.status).toBe(404);
      expect(res.body.toString()).not.toContain(SECRET);
    }
    expect(
      (await davRequest(engine, { method: 'PROPFIND', path: '/link-out/', headers: { Depth: '1' } })).status,
    ).toBe(404);
    const listing = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    expect(listing.body.toString()).not.toMatch(/link-out|link-file|dangling|secret/);
    expect([403, 404, 409]).toContain(
      (await davRequest(engine, { method: 'PUT', path: '/link-out/pwned.txt', body: 'x' })).status,
    );
    expect([403, 404, 409]).toContain(
      (await davRequest(engine, { method: 'PUT', path: '/dangling-out', body: 'x' })).status,
    );
    expect(
      (await davRequest(engine, { method: 'MKCOL', path: '/link-out/newdir' })).status,
    ).toBeGreaterThanOrEqual(400);
    expect((await davRequest(engine, { method: 'DELETE', path: '/link-out/victim.txt' })).status).toBe(404);
    const copied = await davRequest(engine, {
      method: 'COPY',
      path: '/file.txt',
      headers: { Destination: '/link-out/copied.txt' },
    });
    expect(copied.status).toBeGreaterThanOrEqual(400);
    expectOutsideUntouched();
  });

  it('follows a symlink that stays inside the share', async () => {
    const res = await davRequest(engine, { method: 'GET', path: '/sub/inner-link' });
    expect([res.status, res.body.toString()]).toEqual([200, 'inside']);
    const listing = await davRequest(engine, { method: 'PROPFIND', path: '/sub/', headers: { Depth: '1' } });
    expect(listing.body.toString()).toContain('inner-link');
  });

  it('deleting an inside symlink removes the link, not its target', async () => {
    expect((await davRequest(engine, { method: 'DELETE', path: '/sub/inner-link' })).status).toBe(204);
    expect((await davRequest(engine, { method: 'GET', path: '/file.txt' })).body.toString()).toBe('inside');
  });

  it('deleting a folder holding links to outside, nested folders and a dangling link removes only the share', async () => {
    await writeFiles(sandbox.share, {
      'tree/a.txt': 'a',
      'tree/deep/b.txt': 'b',
      'tree/deep/deeper/c.txt': 'c',
    });
    symlinkSync(sandbox.outside, path.join(sandbox.share, 'tree', 'out-folder'));
    symlinkSync(
      path.join(sandbox.outside, 'victim.txt'),
      path.join(sandbox.share, 'tree', 'deep', 'out-file'),
    );
    symlinkSync(path.join(sandbox.share, 'nowhere'), path.join(sandbox.share, 'tree', 'deep', 'dangling'));
    expect((await davRequest(engine, { method: 'DELETE', path: '/tree' })).status).toBe(204);
    expect(manifest(sandbox.share).filter((entry) => / tree\b/.test(entry))).toEqual([]);
    expectOutsideUntouched();
  });

  it.each(['COPY', 'MOVE'])(
    '%s over a folder holding links to outside replaces the folder and leaves the outside alone',
    async (method) => {
      await writeFiles(sandbox.share, { 'old/a.txt': 'a', 'old/deep/b.txt': 'b', 'new/c.txt': 'c' });
      symlinkSync(sandbox.outside, path.join(sandbox.share, 'old', 'out-folder'));
      symlinkSync(
        path.join(sandbox.outside, 'victim.txt'),
        path.join(sandbox.share, 'old', 'deep', 'out-file'),
      );
      const res = await davRequest(engine, {
        method,
        path: '/new/',
        headers: { Destination: '/old/', Overwrite: 'T' },
      });
      expect(res.status).toBe(204);
      expect(manifest(sandbox.share).filter((entry) => / old\/(a\.txt|deep|out-)/.test(entry))).toEqual([]);
      expect((await davRequest(engine, { method: 'GET', path: '/old/c.txt' })).body.toString()).toBe('c');
      for (const gone of ['/old/a.txt', '/old/deep/b.txt', '/old/out-folder', '/old/deep/out-file'])
        expect((await davRequest(engine, { method: 'GET', path: gone })).status).toBe(404);
      expectOutsideUntouched();
    },
  );

  it('refuses DELETE, MOVE and COPY of the share root itself', async () => {
    expect((await davRequest(engine, { method: 'DELETE', path: '/' })).status).toBe(403);
    expect(
      (await davRequest(engine, { method: 'MOVE', path: '/', headers: { Destination: '/x' } })).status,
    ).toBe(403);
    expect(
      (await davRequest(engine, { method: 'COPY', path: '/file.txt', headers: { Destination: '/' } })).status,
    ).toBe(403);
    expect((await davRequest(engine, { method: 'GET', path: '/file.txt' })).status).toBe(200);
  });
});
