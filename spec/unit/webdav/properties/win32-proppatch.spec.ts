import { promises as fsp, statSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { parseHttpDate } from '../../../../src/webdav/properties/win32-times';
import { davRequest } from '../support/dav-client';
import { propertyOf, readMultistatus } from '../support/multistatus';
import { makeSandbox, manifest, writeFiles, type Sandbox } from '../support/temp-share';

const MS = 'urn:schemas-microsoft-com:';

/**
 * The PROPPATCH Windows Explorer sends right after a PUT, as traced in public: copyparty issue #910
 * (https://github.com/9001/copyparty/issues/910, "Windows Explorer HTTP request"); the properties are
 * those of [MS-WDV] "WebDAV Protocol: Microsoft Extensions".
 */
const explorerProppatch = (created: string, accessed: string, modified: string, attributes = '00000000') =>
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
  `<Z:Win32CreationTime>${created}</Z:Win32CreationTime>` +
  `<Z:Win32LastAccessTime>${accessed}</Z:Win32LastAccessTime>` +
  `<Z:Win32LastModifiedTime>${modified}</Z:Win32LastModifiedTime>` +
  `<Z:Win32FileAttributes>${attributes}</Z:Win32FileAttributes>` +
  '</D:prop></D:set></D:propertyupdate>';

const CREATED = 'Thu, 09 Oct 2025 17:54:43 GMT';
const ACCESSED = 'Thu, 09 Oct 2025 17:55:31 GMT';
const MODIFIED = 'Wed, 01 Jan 2020 10:20:30 GMT';

const ALL_FOUR = ['Win32CreationTime', 'Win32LastAccessTime', 'Win32LastModifiedTime', 'Win32FileAttributes'];

describe('Win32 PROPPATCH (Windows mini-redirector)', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'dir/old.txt': 'old' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const proppatch = (target: string, body: string) =>
    davRequest(engine, { method: 'PROPPATCH', path: target, body });
  const propfind = async (target: string, names: string) => {
    const res = await davRequest(engine, {
      method: 'PROPFIND',
      path: target,
      headers: { Depth: '0' },
      body: `<D:propfind xmlns:D="DAV:" xmlns:Z="${MS}"><D:prop>${names}</D:prop></D:propfind>`,
    });
    return readMultistatus(res.body)[0];
  };

  it('keeps a copied file’s modification and access times (PUT, then the Explorer PROPPATCH)', async () => {
    const put = await davRequest(engine, { method: 'PUT', path: '/copied.txt', body: 'from windows' });
    expect(put.status).toBe(201);
    const res = await proppatch('/copied.txt', explorerProppatch(CREATED, ACCESSED, MODIFIED));
    expect(res.status).toBe(207);
    const [response] = readMultistatus(res.body);
    for (const name of ALL_FOUR) expect(propertyOf(response, MS, name)).toBeDefined();
    expect(res.body.toString()).not.toMatch(/HTTP\/1\.1 (4|5)\d\d/u);

    const stats = statSync(path.join(sandbox.share, 'copied.txt'));
    expect(stats.mtime.toISOString()).toBe('2020-01-01T10:20:30.000Z');
    expect(stats.atime.toISOString()).toBe('2025-10-09T17:55:31.000Z');
    const found = await propfind(
      '/copied.txt',
      '<D:getlastmodified/><Z:Win32CreationTime/><Z:Win32FileAttributes/>',
    );
    expect(propertyOf(found, 'DAV:', 'getlastmodified')).toBe(`<{DAV:}getlastmodified>${MODIFIED}</>`);
    expect(propertyOf(found, MS, 'Win32CreationTime')).toBe(`<{${MS}}Win32CreationTime>${CREATED}</>`);
    expect(propertyOf(found, MS, 'Win32FileAttributes')).toBe(`<{${MS}}Win32FileAttributes>00000000</>`);
  });

  it('sets a folder’s modification time too, and leaves the access time alone when not given', async () => {
    const before = statSync(path.join(sandbox.share, 'dir'));
    const res = await proppatch(
      '/dir/',
      '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
        `<Z:Win32LastModifiedTime>${MODIFIED}</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`,
    );
    expect(res.status).toBe(207);
    expect(res.body.toString()).toContain('HTTP/1.1 200 OK');
    const after = statSync(path.join(sandbox.share, 'dir'));
    expect(after.mtime.toISOString()).toBe('2020-01-01T10:20:30.000Z');
    expect(Math.abs(after.atimeMs - before.atimeMs)).toBeLessThan(0.001); // kept to the microsecond
  });

  it.each([
    ['not a date', 'yesterday'],
    ['an ISO date', '2020-01-01T10:20:30Z'],
    ['an impossible day', 'Fri, 31 Feb 2020 10:20:30 GMT'],
    ['an element value', '<Z:when>Wed, 01 Jan 2020 10:20:30 GMT</Z:when>'],
  ])(
    'refuses %s as Win32LastModifiedTime with 409, the others 424, and changes nothing',
    async (_what, value) => {
      const file = path.join(sandbox.share, 'dir/old.txt');
      const before = statSync(file).mtimeMs;
      const tree = manifest(sandbox.share);
      const res = await proppatch('/dir/old.txt', explorerProppatch(CREATED, ACCESSED, value));
      expect(res.status).toBe(207);
      const [response] = readMultistatus(res.body);
      expect(propertyOf(response, MS, 'Win32LastModifiedTime', '409')).toBeDefined();
      for (const name of ['Win32CreationTime', 'Win32LastAccessTime', 'Win32FileAttributes'])
        expect(propertyOf(response, MS, name, '424')).toBeDefined();
      expect(res.body.toString()).toContain('must be a date such as');
      expect(statSync(file).mtimeMs).toBe(before);
      expect(manifest(sandbox.share)).toEqual(tree);
      const found = await propfind('/dir/old.txt', '<Z:Win32CreationTime/>');
      expect(propertyOf(found, MS, 'Win32CreationTime', '404')).toBeDefined();
    },
  );

  it('answers 403 for the times (424 for the rest, nothing stored) when the file’s times cannot be set', async () => {
    const lutimes = jest
      .spyOn(fsp, 'lutimes')
      .mockRejectedValueOnce(Object.assign(new Error('not the owner'), { code: 'EPERM' }));
    try {
      const res = await proppatch('/dir/old.txt', explorerProppatch(CREATED, ACCESSED, MODIFIED));
      const [response] = readMultistatus(res.body);
      expect(propertyOf(response, MS, 'Win32LastModifiedTime', '403')).toBeDefined();
      expect(propertyOf(response, MS, 'Win32LastAccessTime', '403')).toBeDefined();
      expect(propertyOf(response, MS, 'Win32FileAttributes', '424')).toBeDefined();
      expect(res.body.toString()).toContain('EPERM');
      const found = await propfind('/dir/old.txt', '<Z:Win32FileAttributes/>');
      expect(propertyOf(found, MS, 'Win32FileAttributes', '404')).toBeDefined();
    } finally {
      lutimes.mockRestore();
    }
  });

  it('undoes only its own properties when the times fail, not those another PROPPATCH set meanwhile', async () => {
    let reached!: () => void;
    const atLutimes = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lutimes = jest.spyOn(fsp, 'lutimes').mockImplementationOnce(async () => {
      reached();
      await gate;
      throw Object.assign(new Error('not the owner'), { code: 'EPERM' });
    });
    try {
      const failing = proppatch('/dir/old.txt', explorerProppatch(CREATED, ACCESSED, MODIFIED));
      await atLutimes;
      const other = await proppatch(
        '/dir/old.txt',
        `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="${MS}"><D:set><D:prop><Z:Other>kept</Z:Other></D:prop></D:set></D:propertyupdate>`,
      );
      expect(other.body.toString()).toContain('HTTP/1.1 200 OK');
      release();
      expect((await failing).body.toString()).toContain('403');
      const found = await propfind('/dir/old.txt', '<Z:Other/><Z:Win32FileAttributes/>');
      expect(propertyOf(found, MS, 'Other')).toBe(`<{${MS}}Other>kept</>`);
      expect(propertyOf(found, MS, 'Win32FileAttributes', '404')).toBeDefined();
    } finally {
      release();
      lutimes.mockRestore();
    }
  });

  it('is refused with 403 on a read-only share, the file untouched', async () => {
    const readOnly = await createWebdavEngine({ root: sandbox.share, readOnly: true });
    try {
      const file = path.join(sandbox.share, 'dir/old.txt');
      const before = statSync(file).mtimeMs;
      const res = await davRequest(readOnly, {
        method: 'PROPPATCH',
        path: '/dir/old.txt',
        body: explorerProppatch(CREATED, ACCESSED, MODIFIED),
      });
      expect(res.status).toBe(403);
      expect(statSync(file).mtimeMs).toBe(before);
    } finally {
      await readOnly.close();
    }
  });
});

describe('parseHttpDate', () => {
  it.each([
    ['Thu, 09 Oct 2025 17:54:43 GMT', '2025-10-09T17:54:43.000Z'],
    ['Sun, 06 Nov 1994 08:49:37 GMT', '1994-11-06T08:49:37.000Z'],
    ['Mon, 29 Feb 2016 23:59:59 GMT', '2016-02-29T23:59:59.000Z'],
  ])('reads %j', (text, iso) => {
    expect(parseHttpDate(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '',
    'Thu, 9 Oct 2025 17:54:43 GMT',
    'Thu, 09 Oct 2025 17:54:43 UTC',
    'Thu, 09 oct 2025 17:54:43 GMT',
    'Thu, 09 Okt 2025 17:54:43 GMT',
    'Thu, 09 Oct 2025 24:00:00 GMT',
    'Thu, 09 Oct 2025 17:60:00 GMT',
    'Thu, 09 Oct 2025 17:54:60 GMT',
    'Tue, 29 Feb 2022 10:00:00 GMT',
    'Sun, 01 Jan 0050 00:00:00 GMT',
    'Sunday, 06-Nov-94 08:49:37 GMT',
    'Sun Nov  6 08:49:37 1994',
    ' Thu, 09 Oct 2025 17:54:43 GMT\n',
  ])('refuses %j', (text) => {
    expect(parseHttpDate(text)).toBeUndefined();
  });
});
