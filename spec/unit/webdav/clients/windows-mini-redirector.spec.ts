// What Windows' WebDAV mini-redirector (the WebClient service, "Microsoft-WebDAV-MiniRedir") sends when a
// share is mapped as a drive and a file is copied in, each request taken from public documentation or a
// public trace:
// - OPTIONS / first, then PROPFIND Depth 0 and 1 of the folders it shows: an access log of
//   Microsoft-WebDAV-MiniRedir/10.0.22000 in docker-nginx-webdav-nononsense issue #8
//   (https://github.com/dgraziotin/docker-nginx-webdav-nononsense/issues/8); its PROPFINDs may carry no
//   body, which means allprop (chrisroberts/dav4rack pull request #63).
// - The drive's size and free space: the RFC 4331 properties, as in RFC 4331 §5's example request.
// - Copying a file in: LOCK of the new name with no Depth header, "Timeout: Second-3600", "translate: f" and
//   an exclusive write lockinfo (a Wireshark capture of Microsoft-WebDAV-MiniRedir/6.1.7601 in
//   GCDWebServer issue #319, https://github.com/swisspol/GCDWebServer/issues/319), then PUT under the lock,
//   then PROPPATCH of Win32CreationTime, Win32LastAccessTime, Win32LastModifiedTime and Win32FileAttributes
//   (copyparty issue #910, https://github.com/9001/copyparty/issues/910; [MS-WDV] names them), then UNLOCK.
// - A rename: MOVE with "Overwrite: F", so an existing name is never replaced ([MS-WDV], RFC 4918 §10.6).
// Allow headers are engine14's specs, not these.

import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { davRequest, type DavResponse } from '../support/dav-client';
import { propertyOf, readMultistatus } from '../support/multistatus';
import { makeSandbox, writeFiles, type Sandbox } from '../support/temp-share';

const MS = 'urn:schemas-microsoft-com:';
const MINI_REDIRECTOR = {
  'User-Agent': 'Microsoft-WebDAV-MiniRedir/10.0.22000',
  translate: 'f',
  Connection: 'Keep-Alive',
};

const WINDOWS_LOCKINFO =
  '<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype><D:owner><D:href>WORKGROUP\\user</D:href></D:owner></D:lockinfo>';

const win32Proppatch = (modified: string) =>
  '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:">' +
  '<D:set><D:prop><Z:Win32CreationTime>Thu, 09 Oct 2025 17:54:43 GMT</Z:Win32CreationTime>' +
  '<Z:Win32LastAccessTime>Thu, 09 Oct 2025 17:55:31 GMT</Z:Win32LastAccessTime>' +
  `<Z:Win32LastModifiedTime>${modified}</Z:Win32LastModifiedTime>` +
  '<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>';

const QUOTA_PROPFIND =
  '<?xml version="1.0" ?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/>' +
  '<D:quota-used-bytes/></D:prop></D:propfind>';

function tokenOf(res: DavResponse): string {
  const token = /^<(.+)>$/u.exec(String(res.headers['lock-token'] ?? ''))?.[1];
  if (token === undefined) throw new Error(`no Lock-Token in ${res.status} ${res.body.toString()}`);
  return token;
}

describe('Windows mini-redirector', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'folder/inside.txt': 'inside', 'taken.txt': 'taken' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const request = (method: string, target: string, headers: Record<string, string> = {}, body?: string) =>
    davRequest(engine, { method, path: target, headers: { ...MINI_REDIRECTOR, ...headers }, body });

  it('maps the drive: OPTIONS, PROPFIND Depth 0 and 1 without a body, and the drive’s size', async () => {
    const options = await request('OPTIONS', '/');
    expect(options.status).toBe(200);
    expect(String(options.headers['dav'])).toMatch(/\b2\b/u); // class 2: Windows only writes with locks

    const self = readMultistatus((await request('PROPFIND', '/', { Depth: '0' })).body);
    expect(self).toHaveLength(1);
    expect(propertyOf(self[0], 'DAV:', 'resourcetype')).toBe('<{DAV:}resourcetype><{DAV:}collection></></>');

    const listing = await request('PROPFIND', '/', { Depth: '1' });
    expect(listing.status).toBe(207);
    const file = readMultistatus(listing.body).find((response) => response.href.endsWith('/taken.txt'));
    for (const name of ['getcontentlength', 'getlastmodified', 'creationdate', 'getetag'])
      expect(propertyOf(file, 'DAV:', name)).toBeDefined();

    const quota = readMultistatus((await request('PROPFIND', '/', { Depth: '0' }, QUOTA_PROPFIND)).body);
    expect(propertyOf(quota[0], 'DAV:', 'quota-available-bytes')).toMatch(/>\d+<\/>$/u);
    expect(propertyOf(quota[0], 'DAV:', 'quota-used-bytes')).toMatch(/>\d+<\/>$/u);
  });

  it('copies a file in (LOCK new name, PUT, PROPPATCH Win32, UNLOCK) and it keeps its date', async () => {
    const lock = await request(
      'LOCK',
      '/copied.txt',
      { Timeout: 'Second-3600', 'Content-Type': 'text/xml; charset="utf-8"' },
      WINDOWS_LOCKINFO,
    );
    expect(lock.status).toBe(201);
    const token = tokenOf(lock);
    const ifHeader = { If: `(<${token}>)` };

    const put = await request('PUT', '/copied.txt', ifHeader, 'copied from Windows');
    expect([200, 201, 204]).toContain(put.status);
    const patch = await request(
      'PROPPATCH',
      '/copied.txt',
      ifHeader,
      win32Proppatch('Wed, 01 Jan 2020 10:20:30 GMT'),
    );
    expect(patch.status).toBe(207);
    const statuses = readMultistatus(patch.body)[0]?.propstats.map((propstat) => propstat.status);
    expect(statuses).toEqual(['HTTP/1.1 200 OK']);
    const unlock = await request('UNLOCK', '/copied.txt', { 'Lock-Token': `<${token}>` });
    expect(unlock.status).toBe(204);

    const file = path.join(sandbox.share, 'copied.txt');
    expect(readFileSync(file, 'utf8')).toBe('copied from Windows');
    expect(statSync(file).mtime.toISOString()).toBe('2020-01-01T10:20:30.000Z');
    // Explorer reads the folder back with allprop: the date it set, and the attributes kept as dead properties.
    const listing = readMultistatus((await request('PROPFIND', '/', { Depth: '1' })).body);
    const entry = listing.find((response) => response.href.endsWith('/copied.txt'));
    expect(propertyOf(entry, 'DAV:', 'getlastmodified')).toBe(
      '<{DAV:}getlastmodified>Wed, 01 Jan 2020 10:20:30 GMT</>',
    );
    expect(propertyOf(entry, MS, 'Win32FileAttributes')).toBe(`<{${MS}}Win32FileAttributes>00000020</>`);
  });

  it('renames with MOVE Overwrite: F, and never replaces an existing name', async () => {
    const taken = await request('MOVE', '/folder/inside.txt', {
      Destination: 'http://localhost:9843/taken.txt',
      Overwrite: 'F',
    });
    expect(taken.status).toBe(412);
    expect(readFileSync(path.join(sandbox.share, 'taken.txt'), 'utf8')).toBe('taken');

    const renamed = await request('MOVE', '/folder/inside.txt', {
      Destination: 'http://localhost:9843/folder/renamed.txt',
      Overwrite: 'F',
    });
    expect(renamed.status).toBe(201);
    expect(readFileSync(path.join(sandbox.share, 'folder/renamed.txt'), 'utf8')).toBe('inside');
  });
});
