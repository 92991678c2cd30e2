import { statSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { requestedMtime } from '../../../src/webdav/client-mtime';
import { davRequest } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';

/**
 * rclone keeps files' modification times over WebDAV only with servers that take `X-OC-Mtime` (its
 * `--webdav-vendor owncloud`); without it every upload is stamped with the time it arrived, and a later sync
 * that compares sizes and times re-uploads everything, or (comparing sizes alone) misses a same-size edit.
 */
describe('X-OC-Mtime', () => {
  it.each([
    ['1500000000', 1_500_000_000],
    [' 1500000000.5 ', 1_500_000_000.5],
    ['0', 0],
    ['-1', undefined],
    ['1e9', undefined],
    ['soon', undefined],
    ['99999999999', undefined],
    ['', undefined],
  ])('%j asks for %s', (header, seconds) => {
    expect(requestedMtime({ 'x-oc-mtime': header })).toBe(seconds);
  });

  describe('on an upload', () => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;

    beforeEach(async () => {
      sandbox = makeSandbox();
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    });

    afterEach(async () => {
      await engine.close();
      sandbox.remove();
    });

    it.each([
      ['small', 'a small file'],
      ['streamed', 'x'.repeat(200 * 1024)],
    ])('a %s PUT gives the file that time and says so', async (_, body) => {
      const res = await davRequest(engine, {
        method: 'PUT',
        path: '/kept-time.txt',
        headers: { 'X-OC-Mtime': '1500000000' },
        body,
      });
      expect([res.status, res.headers['x-oc-mtime']]).toEqual([201, 'accepted']);
      expect(statSync(path.join(sandbox.share, 'kept-time.txt')).mtimeMs).toBe(1_500_000_000_000);
    });

    it('a PUT without it, or with a time it cannot read, is stamped now and says nothing', async () => {
      const before = Date.now() - 2000;
      for (const headers of [{}, { 'X-OC-Mtime': 'yesterday' }]) {
        const res = await davRequest(engine, { method: 'PUT', path: '/now.txt', headers, body: 'now' });
        expect(res.headers['x-oc-mtime']).toBeUndefined();
        expect(statSync(path.join(sandbox.share, 'now.txt')).mtimeMs).toBeGreaterThan(before);
      }
    });
  });
});
