import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type EngineOptions, type WebdavEngine } from '../../../src/webdav';
import { directFileCalls, poolFileCalls } from '../../../src/webdav/file-calls';
import { copyEntry } from '../../../src/webdav/methods/copy';
import { ShareNamespace } from '../../../src/webdav/share-namespace';
import { davRequest, startTwoPartPut } from './support/dav-client';
import { makeSandbox, manifest, writeFiles, type Sandbox } from './support/temp-share';
import { tempFilesBelow } from './support/temp-files';

/** Issue 11 §7-10, as an attacker: COPY/MOVE through links and onto themselves, setuid, long names, budgets. */
describe.each(['auto', 'pool'] as const)(
  'COPY, MOVE, PUT and names under attack (file calls: %s)',
  (fileCalls) => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;

    async function start(options?: EngineOptions) {
      await engine?.close();
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls, ...options });
    }

    beforeEach(async () => {
      sandbox = makeSandbox();
      await writeFiles(sandbox.share, { 'a/b/file.txt': 'deep', 'a/top.txt': 'top', 'other.txt': 'other' });
      await start();
    });

    afterEach(async () => {
      await engine.close();
      sandbox.remove();
    });

    const send = (method: string, from: string, to: string, headers: Record<string, string> = {}) =>
      davRequest(engine, { method, path: from, headers: { Destination: to, ...headers } });

    function entriesIn(dir: string): number {
      let count = 0;
      const walk = (current: string) => {
        for (const entry of readdirSync(current, { withFileTypes: true })) {
          count++;
          if (entry.isDirectory()) walk(path.join(current, entry.name));
        }
      };
      walk(dir);
      return count;
    }

    describe('links', () => {
      it('COPY of a folder holding a link to its ancestor terminates and copies nothing', async () => {
        symlinkSync('../..', path.join(sandbox.share, 'a', 'b', 'loop'));
        const before = entriesIn(sandbox.share);
        const res = await send('COPY', '/a', '/copy');
        expect(res.status).toBe(403);
        expect(res.body.toString()).toContain('Symbolic links');
        expect(entriesIn(sandbox.share)).toBe(before);
      });

      it('COPY into the target of a folder link is a copy into itself: refused', async () => {
        symlinkSync('a', path.join(sandbox.share, 'alias'));
        const before = manifest(sandbox.share);
        expect((await send('COPY', '/a', '/alias/inner')).status).toBe(403);
        expect((await send('MOVE', '/a', '/alias/b/inner')).status).toBe(403);
        expect(manifest(sandbox.share)).toEqual(before);
      });

      it('a link and a folder holding one are neither moved nor copied', async () => {
        symlinkSync('..', path.join(sandbox.share, 'a', 'up'));
        const before = manifest(sandbox.share);
        for (const [method, from, to] of [
          ['MOVE', '/a/up', '/up'],
          ['COPY', '/a/up', '/up'],
          ['MOVE', '/a', '/x/y'],
          ['MOVE', '/a', '/moved'],
          ['COPY', '/a', '/copied'],
        ] as const)
          expect([403, 409]).toContain((await send(method, from, to)).status);
        expect(manifest(sandbox.share)).toEqual(before);
      });
    });

    describe('onto itself, into itself, onto an ancestor', () => {
      it.each(['COPY', 'MOVE'])(
        '%s into its own subtree or onto an ancestor loses nothing',
        async (method) => {
          const before = manifest(sandbox.share);
          const attempts: [string, string][] = [
            ['/a', '/a'],
            ['/a', '/a/b/c'],
            ['/a', '/a/new'],
            ['/a/b', '/a'],
            ['/a/b/file.txt', '/a'],
            ['/a/b/file.txt', '/a/b'],
          ];
          for (const [from, to] of attempts)
            for (const overwrite of ['T', 'F']) {
              const res = await send(method, from, to, { Overwrite: overwrite });
              expect([403, 409, 412]).toContain(res.status);
            }
          expect(manifest(sandbox.share)).toEqual(before);
        },
      );

      it('answers 412 for Overwrite: F, 204 when replacing, 201 when creating, 409 without a parent', async () => {
        expect((await send('COPY', '/other.txt', '/a/top.txt', { Overwrite: 'F' })).status).toBe(412);
        expect((await send('COPY', '/other.txt', '/a/top.txt')).status).toBe(204);
        expect((await send('COPY', '/a', '/a2')).status).toBe(201);
        expect(manifest(path.join(sandbox.share, 'a2'))).toEqual(manifest(path.join(sandbox.share, 'a')));
        expect((await send('COPY', '/a', '/a3', { Depth: '0' })).status).toBe(201);
        expect(readdirSync(path.join(sandbox.share, 'a3'))).toEqual([]);
        expect((await send('MOVE', '/a2', '/missing/a2')).status).toBe(409);
        expect((await send('MOVE', '/a2', '/a3')).status).toBe(204);
        expect(existsSync(path.join(sandbox.share, 'a2'))).toBe(false);
      });

      it('a DELETE or MOVE of a folder with a Depth other than infinity is 400 and changes nothing', async () => {
        const before = manifest(sandbox.share);
        for (const depth of ['0', '1']) {
          expect((await send('MOVE', '/a', '/a2', { Depth: depth })).status).toBe(400);
          const removal = await davRequest(engine, {
            method: 'DELETE',
            path: '/a',
            headers: { Depth: depth },
          });
          expect(removal.status).toBe(400);
        }
        expect(manifest(sandbox.share)).toEqual(before);
        // A file's Depth means nothing; a folder's infinity is what it always does.
        expect((await send('MOVE', '/other.txt', '/other2.txt', { Depth: '0' })).status).toBe(201);
        expect((await send('MOVE', '/a', '/a2', { Depth: 'infinity' })).status).toBe(201);
      });

      it('refuses a Destination on another server (502)', async () => {
        expect((await send('COPY', '/other.txt', 'http://elsewhere.example/x.txt')).status).toBe(502);
        // "//host/path" is a network-path reference: the host is "elsewhere.example", not a folder of that name.
        expect((await send('COPY', '/other.txt', '//elsewhere.example/x.txt')).status).toBe(502);
        expect(existsSync(path.join(sandbox.share, 'x.txt'))).toBe(false);
        expect(existsSync(path.join(sandbox.share, 'elsewhere.example'))).toBe(false);
      });
    });

    describe('budgets', () => {
      it('a COPY over the entry budget is a 507 and leaves nothing behind', async () => {
        await start({ maxCopyEntries: 10 });
        await writeFiles(
          sandbox.share,
          Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`many/f${i}.txt`, 'x'])),
        );
        const res = await send('COPY', '/many', '/copy');
        expect(res.status).toBe(507);
        expect(existsSync(path.join(sandbox.share, 'copy'))).toBe(false);
        expect(tempFilesBelow(sandbox.share)).toEqual([]);
      });

      it('a MOVE of a folder over the entry budget is a 507 and moves nothing', async () => {
        await start({ maxCopyEntries: 10 });
        await writeFiles(
          sandbox.share,
          Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`many/sub/f${i}.txt`, 'x'])),
        );
        expect((await send('MOVE', '/many', '/moved')).status).toBe(507);
        expect(manifest(path.join(sandbox.share, 'many'))).toHaveLength(21);
        expect(existsSync(path.join(sandbox.share, 'moved'))).toBe(false);
      });

      it('a COPY over the byte budget is a 507 and keeps the old destination', async () => {
        await start({ maxCopyBytes: 1000 });
        await writeFiles(sandbox.share, { 'big/a.bin': Buffer.alloc(600), 'big/b.bin': Buffer.alloc(600) });
        await writeFiles(sandbox.share, { 'dest/keep.txt': 'keep' });
        expect((await send('COPY', '/big', '/dest')).status).toBe(507);
        expect(manifest(path.join(sandbox.share, 'dest'))).toHaveLength(1);
        expect(tempFilesBelow(sandbox.share)).toEqual([]);
      });
    });

    it('a COPY stops when the guest goes away and leaves nothing behind', async () => {
      await writeFiles(
        sandbox.share,
        Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`many/f${i}.txt`, 'x'])),
      );
      const space = new ShareNamespace(realpathSync(sandbox.share));
      let checks = 0;
      const result = await copyEntry(
        space,
        { segments: ['many'], destination: ['copy'], overwrite: true, deep: true },
        { maxEntries: 1000, maxBytes: 1e9, cancelled: () => ++checks > 60 }, // gone mid-copy
      );
      expect(result.status).toBe(499);
      expect(checks).toBeLessThan(70);
      expect(existsSync(path.join(sandbox.share, 'copy'))).toBe(false);
      expect(tempFilesBelow(sandbox.share)).toEqual([]);
    });

    describe('PUT', () => {
      // A small body is placed in one step; a streamed one keeps the bits it finds at its commit.
      it.each([
        ['small', {}],
        ['streamed', { 'Transfer-Encoding': 'chunked' }],
      ])(
        'a %s PUT drops setuid, setgid and sticky bits of the file it replaces, and keeps the rest',
        async (_, headers) => {
          const target = path.join(sandbox.share, 'tool');
          await writeFiles(sandbox.share, { tool: 'old' });
          chmodSync(target, 0o7755);
          expect(
            (await davRequest(engine, { method: 'PUT', path: '/tool', headers, body: 'guest' })).status,
          ).toBe(204);
          expect(statSync(target).mode & 0o7777).toBe(0o755);
        },
      );

      it('COPY never carries setuid either', async () => {
        await writeFiles(sandbox.share, { tool: 'old' });
        chmodSync(path.join(sandbox.share, 'tool'), 0o4755);
        expect((await send('COPY', '/tool', '/tool2')).status).toBe(201);
        expect(statSync(path.join(sandbox.share, 'tool2')).mode & 0o7777).toBe(0o755);
      });

      it.each(['MOVE', 'DELETE'])(
        'an upload whose folder a %s takes away mid-body gets 409 and leaves no temp file',
        async (method) => {
          await writeFiles(sandbox.share, { 'up/old.txt': 'old' });
          const { response, finish: sendRest } = startTwoPartPut(engine, '/up/new.txt', 'first half ');
          while (tempFilesBelow(sandbox.share).length === 0)
            await new Promise((resolve) => setImmediate(resolve));
          const change =
            method === 'MOVE'
              ? await send('MOVE', '/up', '/elsewhere')
              : await davRequest(engine, { method: 'DELETE', path: '/up' });
          expect(change.status).toBeLessThan(300);
          sendRest('second half');
          const res = await response;
          expect(res.status).toBe(409);
          expect(res.body.toString()).toContain('moved or deleted');
          expect(tempFilesBelow(sandbox.share)).toEqual([]);
          expect(existsSync(path.join(sandbox.share, 'up', 'new.txt'))).toBe(false);
        },
      );
    });

    describe('names', () => {
      it.each([
        ['255 ASCII bytes', 201, 'n'.repeat(255)],
        ['255 bytes of two-byte characters and one more', 201, 'é'.repeat(127) + 'n'],
        ['256 ASCII bytes', 414, 'n'.repeat(256)],
        ['256 bytes of two-byte characters', 414, 'é'.repeat(128)],
      ])('a name of %s gets %s on PUT and MKCOL', async (_label, status, name) => {
        const encoded = encodeURIComponent(name);
        expect((await davRequest(engine, { method: 'PUT', path: `/${encoded}`, body: 'x' })).status).toBe(
          status,
        );
        expect((await davRequest(engine, { method: 'MKCOL', path: `/d-${encoded}` })).status).toBe(
          status === 201 && Buffer.byteLength(`d-${name}`) <= 255 ? 201 : 414,
        );
        expect(tempFilesBelow(sandbox.share)).toEqual([]);
      });

      it('a path of 2,000 missing folders is a 404 in a few dozen file calls, not one per folder', async () => {
        // Each realpath of a prefix is a call on a path of up to 2,000 names: one per prefix took 100-200 ms.
        const deep = '/a' + '/x'.repeat(2000) + '/file.txt';
        const realpaths = [jest.spyOn(poolFileCalls, 'realpath'), jest.spyOn(directFileCalls, 'realpath')];

        expect((await davRequest(engine, { method: 'GET', path: deep })).status).toBe(404);
        expect((await davRequest(engine, { method: 'PUT', path: deep, body: 'x' })).status).toBe(409);
        const calls = realpaths.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
        jest.restoreAllMocks();
        expect(calls).toBeLessThan(60);
        expect(tempFilesBelow(sandbox.share)).toEqual([]);
      });

      it('a path longer than the host allows is a 404 to read and refused to write, not a fault', async () => {
        const tooLong = '/a' + '/x'.repeat(2100); // 4,202 bytes: ENAMETOOLONG from the kernel
        expect((await davRequest(engine, { method: 'GET', path: tooLong })).status).toBe(404);
        expect(
          (await davRequest(engine, { method: 'PROPFIND', path: tooLong, headers: { Depth: '0' } })).status,
        ).toBe(404);
        expect([409, 414]).toContain(
          (await davRequest(engine, { method: 'PUT', path: tooLong, body: 'x' })).status,
        );
        expect(tempFilesBelow(sandbox.share)).toEqual([]);
      });

      it('a name that would end past the longest path is refused (414), in a folder that exists', async () => {
        // Each name is short; the folder is 3,900 bytes deep, the whole path over 4,095.
        const folder = '/' + Array.from({ length: 26 }, (_, i) => `${i}`.padEnd(149, 'd')).join('/');
        mkdirSync(path.join(sandbox.share, folder), { recursive: true });
        const name = `${folder}/${'n'.repeat(200)}`;
        const put = (headers = {}) =>
          davRequest(engine, { method: 'PUT', path: name, headers, body: 'x'.repeat(100) });
        expect((await put()).status).toBe(414);
        expect((await put({ 'Transfer-Encoding': 'chunked' })).status).toBe(414);
        expect((await davRequest(engine, { method: 'MKCOL', path: name })).status).toBe(414);
        expect(readdirSync(path.join(sandbox.share, folder))).toEqual([]);
      });

      it('a PUT below a file is a 409, also streamed (a name on the way is a file)', async () => {
        await writeFiles(sandbox.share, { 'a.txt': 'x' });
        for (const headers of [{}, { 'Transfer-Encoding': 'chunked' }]) {
          const res = await davRequest(engine, {
            method: 'PUT',
            path: '/a.txt/x/y',
            headers,
            body: 'x'.repeat(100_000),
          });
          expect(res.status).toBe(409);
        }
      });

      it('our temp names are refused in requests and hidden from listings', async () => {
        const name = '.spice-webdav-upload-0123456789abcdef01234567';
        expect((await davRequest(engine, { method: 'PUT', path: `/${name}`, body: 'x' })).status).toBe(403);
        expect((await davRequest(engine, { method: 'MKCOL', path: `/a/${name}` })).status).toBe(403);
        expect((await send('COPY', '/other.txt', `/${name}`)).status).toBe(403);
        expect(tempFilesBelow(sandbox.share)).toEqual([]);
      });
    });
  },
);
