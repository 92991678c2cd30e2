// What macOS Finder (WebDAVFS) sends, taken from public traces:
// - pydio-core issue #581 (https://github.com/pydio/pydio-core/issues/581), an access log of
//   "WebDAVFS/3.0.1 (03018000) Darwin/13.2.0": a save is LOCK of the new name (201), then PUT of the content,
//   and UNLOCK; the AppleDouble companion `._name` gets the same LOCK/PUT/UNLOCK; the content PUT comes
//   without a Content-Length (that server answered 411): Finder sends it chunked.
// - Finder's LOCK asks for Depth 0, an exclusive write lock with its owner as an href
//   (http://www.apple.com/webdav_fs/) and a 600 s timeout, and sends X-Expected-Entity-Length with its
//   chunked PUTs (documented by Apple's webdavfs sources and shown in many public server logs).
// Allow headers are engine14's specs, not these.

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { davRequest, type DavResponse } from '../support/dav-client';
import { makeSandbox, manifest, writeFiles, type Sandbox } from '../support/temp-share';

const FINDER = { 'User-Agent': 'WebDAVFS/3.0.1 (03018000) Darwin/13.2.0 (x86_64)' };

const FINDER_LOCKINFO =
  '<?xml version="1.0" encoding="utf-8"?>\n' +
  '<D:lockinfo xmlns:D="DAV:">\n<D:lockscope><D:exclusive/></D:lockscope>\n' +
  '<D:locktype><D:write/></D:locktype>\n<D:owner>\n<D:href>http://www.apple.com/webdav_fs/</D:href>\n' +
  '</D:owner>\n</D:lockinfo>\n';

/** The lock token of a LOCK answer (its Lock-Token header, without the angle brackets). */
function tokenOf(res: DavResponse): string {
  const header = res.headers['lock-token'];
  const token = /^<(.+)>$/u.exec(String(header ?? ''))?.[1];
  if (token === undefined) throw new Error(`no Lock-Token in ${res.status} ${res.body.toString()}`);
  return token;
}

describe('macOS Finder', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'docs/keep.txt': 'keep' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  /** Finder's save of `name`: LOCK the new name, PUT chunked under the lock, UNLOCK. */
  async function finderSave(target: WebdavEngine, name: string, content: Buffer): Promise<DavResponse[]> {
    const lock = await davRequest(target, {
      method: 'LOCK',
      path: name,
      headers: { ...FINDER, Depth: '0', Timeout: 'Second-600', 'Content-Type': 'text/xml; charset="utf-8"' },
      body: FINDER_LOCKINFO,
    });
    if (lock.status !== 201 && lock.status !== 200) return [lock];
    const token = tokenOf(lock);
    const put = await davRequest(target, {
      method: 'PUT',
      path: name,
      headers: {
        ...FINDER,
        If: `(<${token}>)`,
        'Transfer-Encoding': 'chunked',
        'X-Expected-Entity-Length': String(content.length),
        'Content-Type': 'application/octet-stream',
      },
      body: content,
    });
    const unlock = await davRequest(target, {
      method: 'UNLOCK',
      path: name,
      headers: { ...FINDER, 'Lock-Token': `<${token}>` },
    });
    return [lock, put, unlock];
  }

  it('saves a new file with LOCK / chunked PUT / UNLOCK, its ._ companion and .DS_Store alike', async () => {
    const files: Array<[string, Buffer]> = [
      ['/docs/report.txt', Buffer.from('the report\n')],
      ['/docs/._report.txt', Buffer.from([0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00])],
      ['/docs/.DS_Store', Buffer.from('Bud1 and more')],
    ];
    for (const [name, content] of files) {
      const [lock, put, unlock] = await finderSave(engine, name, content);
      expect([lock?.status, put?.status, unlock?.status]).toEqual([201, 204, 204]);
      expect(readFileSync(path.join(sandbox.share, name))).toEqual(content);
    }
    const listing = await davRequest(engine, { method: 'PROPFIND', path: '/docs/', headers: { Depth: '1' } });
    for (const name of ['report.txt', '._report.txt', '.DS_Store'])
      expect(listing.body.toString()).toContain(`/docs/${name}</D:href>`);
  });

  it('overwrites, renames and deletes ._ and .DS_Store files like any other', async () => {
    await writeFiles(sandbox.share, { 'docs/._keep.txt': 'old', 'docs/.DS_Store': 'old' });
    const [, put] = await finderSave(engine, '/docs/._keep.txt', Buffer.from('new'));
    expect(put?.status).toBe(204);
    expect(readFileSync(path.join(sandbox.share, 'docs/._keep.txt'), 'utf8')).toBe('new');
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/docs/._keep.txt',
      headers: { ...FINDER, Destination: 'http://localhost:9843/docs/._kept.txt' },
    });
    expect(move.status).toBe(201);
    const remove = await davRequest(engine, { method: 'DELETE', path: '/docs/.DS_Store', headers: FINDER });
    expect(remove.status).toBe(204);
    expect(existsSync(path.join(sandbox.share, 'docs/.DS_Store'))).toBe(false);
    expect(readFileSync(path.join(sandbox.share, 'docs/._kept.txt'), 'utf8')).toBe('new');
  });

  it('gets a quiet 403 (a short text answer, nothing created) for each of them on a read-only share', async () => {
    const readOnly = await createWebdavEngine({ root: sandbox.share, readOnly: true });
    try {
      const before = manifest(sandbox.share);
      for (const name of ['/docs/report.txt', '/docs/._report.txt', '/docs/.DS_Store', '/._docs']) {
        const [lock] = await finderSave(readOnly, name, Buffer.from('x'));
        expect(lock?.status).toBe(403);
        expect(lock?.headers['content-type']).toMatch(/^text\/plain/u);
        expect(lock?.body.toString()).toContain('read-only');
        const put = await davRequest(readOnly, { method: 'PUT', path: name, headers: FINDER, body: 'x' });
        expect(put.status).toBe(403);
      }
      expect(manifest(sandbox.share)).toEqual(before);
    } finally {
      await readOnly.close();
    }
  });
});
