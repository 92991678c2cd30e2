import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  promises,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpath,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { directFileCalls, poolFileCalls } from '../../../src/webdav/file-calls';
import { davRequest } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';

/**
 * What the host may hold that the guest never made: names that are not UTF-8, trees deeper than PATH_MAX,
 * and folders and files the host's permissions keep from the client. Each gets an answer that says what it
 * is, never the last-resort 500.
 *
 * Names on the host that are not UTF-8 (files from an old archive in Latin-1): no request can name them and
 * no listing shows them, but a folder that holds them is still the guest's to copy, move and delete whole.
 * Node reads such a name as a string with U+FFFD in it, which names nothing on disk: COPY and MOVE failed
 * with a 500 on it, and DELETE left the folder behind with a 409.
 */
const LATIN1_FILE = Buffer.from('caf\xe9.txt', 'latin1');
const LATIN1_FOLDER = Buffer.from('d\xe9j\xe0', 'latin1');
const INNER_FILE = Buffer.from('r\xe9sum\xe9', 'latin1');

/** The error the host's permissions give (the specs run as root, which they never stop, so it is injected). */
function accessRefused(): NodeJS.ErrnoException {
  return Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
}

/** A COPY or MOVE of `from` to `to` (a Destination of the same server). */
function transfer(engine: WebdavEngine, method: string, from: string, to: string) {
  return davRequest(engine, { method, path: from, headers: { Destination: to } });
}

/** `folder`'s entries below it as raw bytes ("a/b"), sorted, with each file's content. */
function treeOf(folder: Buffer): string[] {
  const lines: string[] = [];
  const walk = (current: Buffer, prefix: string) => {
    for (const entry of readdirSync(current, { encoding: 'buffer', withFileTypes: true })) {
      const name = `${prefix}${entry.name.toString('latin1')}`;
      const full = Buffer.concat([current, Buffer.from('/'), entry.name]);
      if (entry.isDirectory()) {
        lines.push(`${name}/`);
        walk(full, `${name}/`);
      } else lines.push(`${name} = ${readFileSync(full, 'latin1')}`);
    }
  };
  walk(folder, '');
  return lines.sort();
}

describe.each(['auto', 'pool'] as const)(
  'folders holding names that are not UTF-8 (file calls: %s)',
  (fileCalls) => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;
    const inShare = (...names: Array<string | Buffer>): Buffer =>
      Buffer.concat(
        [
          Buffer.from(sandbox.share),
          ...names.map((n) => (typeof n === 'string' ? Buffer.from(n) : n)),
        ].flatMap((part, index) => (index === 0 ? [part] : [Buffer.from('/'), part])),
      );

    beforeEach(async () => {
      sandbox = makeSandbox();
      mkdirSync(inShare('album', LATIN1_FOLDER), { recursive: true });
      writeFileSync(inShare('album', 'plain.txt'), 'plain');
      writeFileSync(inShare('album', LATIN1_FILE), 'latin1 name');
      writeFileSync(inShare('album', LATIN1_FOLDER, INNER_FILE), 'deep');
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
    });

    afterEach(async () => {
      await engine.close();
      sandbox.remove();
    });

    const original = [
      'caf\xe9.txt = latin1 name',
      'd\xe9j\xe0/',
      'd\xe9j\xe0/r\xe9sum\xe9 = deep',
      'plain.txt = plain',
    ];

    it('a listing shows only the names a request can give', async () => {
      const res = await davRequest(engine, { method: 'PROPFIND', path: '/album/', headers: { Depth: '1' } });
      expect(res.status).toBe(207);
      const hrefs = [...res.body.toString().matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
      expect(hrefs).toEqual([
        expect.stringMatching(/\/album\/$/),
        expect.stringMatching(/\/album\/plain\.txt$/),
      ]);
    });

    it('COPY of the folder copies every entry under its own bytes, and leaves the source as it was', async () => {
      const res = await transfer(engine, 'COPY', '/album/', '/copy/');
      expect(res.status).toBe(201);
      expect(treeOf(inShare('copy'))).toEqual(original);
      expect(treeOf(inShare('album'))).toEqual(original);
      expect(readdirSync(sandbox.share).sort()).toEqual(['album', 'copy']); // no staging folder left
    });

    it('MOVE of the folder takes every entry along', async () => {
      const res = await transfer(engine, 'MOVE', '/album/', '/moved/');
      expect(res.status).toBe(201);
      expect(treeOf(inShare('moved'))).toEqual(original);
      expect(readdirSync(sandbox.share)).toEqual(['moved']);
    });

    it('MOVE still refuses a folder holding a link under such a name', async () => {
      symlinkSync(sandbox.outside, inShare('album', LATIN1_FOLDER, Buffer.from('l\xefnk', 'latin1')));
      const res = await transfer(engine, 'MOVE', '/album/', '/moved/');
      expect(res.status).toBe(403);
      expect(readdirSync(sandbox.share)).toEqual(['album']);
    });

    it('DELETE of the folder removes it whole', async () => {
      const res = await davRequest(engine, { method: 'DELETE', path: '/album/' });
      expect(res.status).toBe(204);
      expect(readdirSync(sandbox.share)).toEqual([]);
    });

    it('COPY and DELETE of a folder leave nothing outside the share', async () => {
      writeFileSync(path.join(sandbox.outside, 'kept.txt'), 'outside');
      expect((await transfer(engine, 'COPY', '/album/', '/c/')).status).toBe(201);
      expect((await davRequest(engine, { method: 'DELETE', path: '/c/' })).status).toBe(204);
      expect(readdirSync(sandbox.outside)).toEqual(['kept.txt']);
      expect(treeOf(inShare('album'))).toEqual(original);
    });
  },
);

/**
 * A tree whose paths go past PATH_MAX (4096 bytes), made on the host one relative step at a time (the guest
 * cannot: MKCOL refuses). No absolute path reaches its bottom, so a walk cannot see all of it.
 */
describe.each(['auto', 'pool'] as const)(
  'a tree deeper than the host lets a path name (file calls: %s)',
  (fileCalls) => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;
    const LEVEL = 'd'.repeat(200);

    beforeEach(async () => {
      sandbox = makeSandbox();
      // A Node process of its own: it changes its working folder one level at a time (chdir takes a
      // relative path past PATH_MAX; a shell's cd does not).
      execFileSync(process.execPath, [
        '-e',
        `const fs = require('node:fs');
         process.chdir(process.argv[1]);
         fs.mkdirSync('deep');
         process.chdir('deep');
         for (let i = 0; i < 25; i++) { fs.mkdirSync('${LEVEL}'); process.chdir('${LEVEL}'); }
         fs.writeFileSync('f.txt', 'bottom');`,
        sandbox.share,
      ]);
      writeFileSync(path.join(sandbox.share, 'other.txt'), 'other');
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
    });

    afterEach(async () => {
      await engine?.close();
      execFileSync('rm', ['-rf', sandbox.base]); // GNU rm walks below PATH_MAX; Node's rm cannot
    });

    it.each(['COPY', 'MOVE'])('%s of it is refused with 414 and changes nothing', async (method) => {
      const res = await transfer(engine, method, '/deep/', '/elsewhere/');
      expect(res.status).toBe(414);
      expect(res.body.toString()).toContain('4096 bytes');
      expect(readdirSync(sandbox.share).sort()).toEqual(['deep', 'other.txt']);
    });

    it('DELETE of it answers with a status that says why, not a server failure', async () => {
      const res = await davRequest(engine, { method: 'DELETE', path: '/deep/' });
      expect(res.status).toBe(414);
      expect(res.body.toString()).toContain('4096');
      expect(readFileSync(path.join(sandbox.share, 'other.txt'), 'utf8')).toBe('other');
    });
  },
);

/**
 * A folder the host will not let the client read (mode 0700 of another user, lost+found): COPY and MOVE walk
 * the tree first and met EACCES there as a server failure (500, "try again"). The specs run as root, which no
 * mode keeps out, so the refusal is injected at the one call the walk makes for the folder.
 */
describe('a folder the host will not let us read', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    mkdirSync(path.join(sandbox.share, 'album', 'locked'), { recursive: true });
    writeFileSync(path.join(sandbox.share, 'album', 'locked', 'x.txt'), 'x');
    writeFileSync(path.join(sandbox.share, 'album', 'plain.txt'), 'plain');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    // Listings read folders in batches (opendir); tree copies and deletes read them whole (readdir).
    for (const call of ['readdir', 'opendir'] as const) {
      const real = promises[call].bind(promises) as (folder: unknown, options?: unknown) => Promise<unknown>;
      jest.spyOn(promises, call).mockImplementation(((folder: unknown, options?: unknown) =>
        // Listings open the folder through its checked descriptor (/proc/self/fd/N): judged by where it is.
        kernelName(String(folder)).endsWith('/locked')
          ? Promise.reject(accessRefused())
          : real(folder, options)) as never);
    }
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  it('a listing of it is a 403 that says why, not an empty folder', async () => {
    const res = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/album/locked/',
      headers: { Depth: '1' },
    });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toContain('permissions');
    const parent = await davRequest(engine, { method: 'PROPFIND', path: '/album/', headers: { Depth: '1' } });
    expect(parent.status).toBe(207); // the folder itself is still listed where it lies
    expect(parent.body.toString()).toContain('/album/locked/');
  });

  it.each(['COPY', 'MOVE'])(
    '%s of a folder holding it is a 403 that says why, and changes nothing',
    async (method) => {
      const res = await transfer(engine, method, '/album/', '/elsewhere/');
      expect(res.status).toBe(403);
      expect(res.body.toString()).toContain('permissions');
      expect(readdirSync(sandbox.share)).toEqual(['album']);
    },
  );
});

/**
 * A folder on the way the host will not let the client enter (no search permission): resolving any path
 * through it fails with EACCES, which was the last-resort 500 ("try again") for every method. Injected at
 * realpath, both forms (the specs run as root).
 */
describe.each(['auto', 'pool'] as const)(
  'a folder the host will not let us enter (file calls: %s)',
  (fileCalls) => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;

    beforeEach(async () => {
      sandbox = makeSandbox();
      mkdirSync(path.join(sandbox.share, 'private'));
      writeFileSync(path.join(sandbox.share, 'private', 'x.txt'), 'x');
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
      const denied = (candidate: unknown): boolean => String(candidate).includes('/private');
      const pooled = realpath.native.bind(realpath) as (candidate: unknown, done: unknown) => void;
      jest
        .spyOn(realpath, 'native')
        .mockImplementation(((candidate: unknown, done: (error: unknown) => void) =>
          denied(candidate)
            ? process.nextTick(() => done(accessRefused()))
            : pooled(candidate, done)) as never);
      const direct = realpathSync.native.bind(realpathSync) as (candidate: unknown) => string;
      jest.spyOn(realpathSync, 'native').mockImplementation(((candidate: unknown) => {
        if (denied(candidate)) throw accessRefused();
        return direct(candidate);
      }) as never);
    });

    afterEach(async () => {
      jest.restoreAllMocks();
      await engine.close();
      sandbox.remove();
    });

    it.each([
      ['GET', '/private/x.txt', undefined],
      ['PROPFIND', '/private/x.txt', undefined],
      ['PUT', '/private/new.txt', 'new'],
      ['DELETE', '/private/x.txt', undefined],
    ])('%s %s is a 403 that says why', async (method, target, body) => {
      const res = await davRequest(engine, {
        method,
        path: target,
        headers: { Depth: '0' },
        ...(body === undefined ? {} : { body }),
      });
      expect(res.status).toBe(403);
      expect(res.body.toString()).toContain('permissions');
      expect(readdirSync(path.join(sandbox.share, 'private'))).toEqual(['x.txt']);
    });
  },
);

/**
 * A file the host made read-only (chmod a-w, or another user's): an upload renames a new file over the name,
 * which only the folder's permissions govern, so a PUT replaced what `echo > file` on the host could not. The
 * specs run as root, whom access(2) lets write anything, so the answer for that file is injected.
 */
describe.each(['auto', 'pool'] as const)('a file the host made read-only (file calls: %s)', (fileCalls) => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  const readOnly = (): string => path.join(sandbox.share, 'kept.txt');

  beforeEach(async () => {
    sandbox = makeSandbox();
    writeFileSync(readOnly(), 'kept');
    writeFileSync(path.join(sandbox.share, 'open.txt'), 'open');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
    for (const calls of [poolFileCalls, directFileCalls]) {
      const asked = calls.isWritable.bind(calls);
      jest
        .spyOn(calls, 'isWritable')
        .mockImplementation((real) => (real === readOnly() ? Promise.resolve(false) : asked(real)));
    }
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  it.each([
    ['small', {}],
    ['streamed', { 'Transfer-Encoding': 'chunked' }],
  ])('a %s PUT over it is a 403 that says why, and the file keeps its bytes', async (_, headers) => {
    const res = await davRequest(engine, { method: 'PUT', path: '/kept.txt', headers, body: 'replaced' });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toContain('read-only on the host');
    expect(readFileSync(readOnly(), 'utf8')).toBe('kept');
    expect(readdirSync(sandbox.share).sort()).toEqual(['kept.txt', 'open.txt']); // no temp file left
  });

  it('a PUT over a writable file beside it still replaces it', async () => {
    const res = await davRequest(engine, { method: 'PUT', path: '/open.txt', body: 'replaced' });
    expect(res.status).toBe(204);
    expect(readFileSync(path.join(sandbox.share, 'open.txt'), 'utf8')).toBe('replaced');
  });

  // An attacker's finding (session 34): a COPY with Overwrite: T replaced the file PUT refused, mode and all.
  it('a COPY onto it is a 403 too, as cp would be, and the file keeps its bytes', async () => {
    const res = await transfer(engine, 'COPY', '/open.txt', '/kept.txt');
    expect(res.status).toBe(403);
    expect(res.body.toString()).toContain('read-only on the host');
    expect(readFileSync(readOnly(), 'utf8')).toBe('kept');
    expect(readdirSync(sandbox.share).sort()).toEqual(['kept.txt', 'open.txt']);
    // Onto a writable file, or a new name, a COPY goes on.
    writeFileSync(path.join(sandbox.share, 'other.txt'), 'other');
    expect((await transfer(engine, 'COPY', '/kept.txt', '/other.txt')).status).toBe(204);
    expect((await transfer(engine, 'COPY', '/kept.txt', '/new.txt')).status).toBe(201);
    expect(readFileSync(path.join(sandbox.share, 'new.txt'), 'utf8')).toBe('kept');
  });

  it('a MOVE onto it replaces the name, as mv and DELETE do: only the folder governs that', async () => {
    const res = await transfer(engine, 'MOVE', '/open.txt', '/kept.txt');
    expect(res.status).toBe(204);
    expect(readFileSync(readOnly(), 'utf8')).toBe('open');
  });
});

/**
 * A file listed in its folder that the host will not let the client open (0600 of another user): GET said
 * 404 "Not found" for a name the listing had just shown. Injected at open, both forms (root opens anything).
 */
describe.each(['auto', 'pool'] as const)(
  'a file the host will not let us read (file calls: %s)',
  (fileCalls) => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;
    const secret = (): string => path.join(sandbox.share, 'secret.txt');

    beforeEach(async () => {
      sandbox = makeSandbox();
      writeFileSync(secret(), 'secret');
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
      for (const calls of [poolFileCalls, directFileCalls]) {
        const opened = calls.open.bind(calls);
        jest
          .spyOn(calls, 'open')
          .mockImplementation((real, flags, mode) =>
            real === secret() ? Promise.reject(accessRefused()) : opened(real, flags, mode),
          );
      }
    });

    afterEach(async () => {
      jest.restoreAllMocks();
      await engine.close();
      sandbox.remove();
    });

    it.each(['GET', 'HEAD'])('%s of it is a 403, not a 404', async (method) => {
      const res = await davRequest(engine, { method, path: '/secret.txt' });
      expect(res.status).toBe(403);
      if (method === 'GET') expect(res.body.toString()).toContain('permissions');
    });
  },
);

/** Where a path through /proc/self/fd/N leads, else the path itself. */
function kernelName(folder: string): string {
  return folder.startsWith('/proc/self/fd/') ? readlinkSync(folder) : folder;
}

/**
 * The process out of file descriptors when it lists a folder (a reviewer's `prlimit --nofile` run): the listing
 * read as an empty folder, which a syncing client takes for everything deleted. The failure is injected at the
 * folder's open for reading.
 */
describe('a listing when the process is out of file descriptors', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    mkdirSync(path.join(sandbox.share, 'full'));
    writeFileSync(path.join(sandbox.share, 'full', 'kept.txt'), 'x');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    const real = promises.opendir.bind(promises) as (folder: unknown, options?: unknown) => Promise<unknown>;
    jest
      .spyOn(promises, 'opendir')
      .mockImplementation(((folder: unknown, options?: unknown) =>
        kernelName(String(folder)).endsWith('/full')
          ? Promise.reject(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }))
          : real(folder, options)) as never);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  it('is a 503 to try again, not an empty folder', async () => {
    const res = await davRequest(engine, { method: 'PROPFIND', path: '/full/', headers: { Depth: '1' } });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.toString()).toContain('too many open files');
    expect((await davRequest(engine, { method: 'GET', path: '/full/' })).status).toBe(503);
  });
});
