import { randomBytes } from 'node:crypto';
import { realpathSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { directFileCalls, poolFileCalls } from '../../../src/webdav/file-calls';
import { LARGE_READ_BYTES } from '../../../src/webdav/file-response';
import { LocalMountCheck } from '../../../src/webdav/local-mounts';
import { connect, davRequest } from './support/dav-client';
import { makeSandbox, sha256, type Sandbox } from './support/temp-share';

describe.each(['auto', 'pool'] as const)(
  'GET reads the file in large reads, one at a time (file calls: %s)',
  (fileCalls) => {
    let sandbox: Sandbox;
    let engine: WebdavEngine;

    beforeAll(async () => {
      sandbox = makeSandbox();
      engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { fileCalls });
    });
    afterEach(() => jest.restoreAllMocks());
    afterAll(async () => {
      await engine.close();
      sandbox.remove();
    });

    it('a 4 MiB file goes out intact in reads of 32 mux frames each', async () => {
      const content = randomBytes(4 * 1024 * 1024);
      writeFileSync(path.join(sandbox.share, 'big.bin'), content);
      // Reads of a large file always go to the thread pool, whatever the share's file system.
      const reads = jest.spyOn(poolFileCalls, 'read');

      const res = await davRequest(engine, { method: 'GET', path: '/big.bin' });

      expect(res.status).toBe(200);
      expect(sha256(res.body)).toBe(sha256(content));
      expect(reads.mock.calls.length).toBeGreaterThan(0);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(Math.ceil(content.length / LARGE_READ_BYTES));
    });

    it('a small file is opened, read and closed on the event loop only where the share is local', async () => {
      // 'auto' makes the calls directly where the mount table says the share is local (this machine's temp
      // folder usually is), else through the pool.
      writeFileSync(path.join(sandbox.share, 'small.txt'), 'small file');
      const direct = fileCalls === 'auto' && new LocalMountCheck(realpathSync(sandbox.share)).allLocal;
      const [used, unused] = direct ? [directFileCalls, poolFileCalls] : [poolFileCalls, directFileCalls];
      const calls = (['lstat', 'realpath', 'open', 'fstat', 'read', 'close'] as const).map((name) => ({
        used: jest.spyOn(used, name),
        unused: jest.spyOn(unused, name),
      }));

      const res = await davRequest(engine, { method: 'GET', path: '/small.txt' });

      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('small file');
      for (const call of calls) {
        expect(call.used).toHaveBeenCalledTimes(1);
        expect(call.unused).not.toHaveBeenCalled();
      }
    });

    it.each([
      ['less than one read', 1_000_000],
      ['exactly one read', LARGE_READ_BYTES],
      ['one read and a byte', LARGE_READ_BYTES + 1],
      ['one read and more than a frame', LARGE_READ_BYTES + 70_000],
    ])('a file of %s goes out intact, however much of its last read buffer it fills', async (_, size) => {
      // Reads over one frame go into reusable buffers of a whole read; a tail fills only part of one, and only
      // that part may go out (the rest is an earlier file's bytes).
      writeFileSync(path.join(sandbox.share, 'big.bin'), randomBytes(LARGE_READ_BYTES));
      expect((await davRequest(engine, { method: 'GET', path: '/big.bin' })).status).toBe(200);
      const content = randomBytes(size);
      writeFileSync(path.join(sandbox.share, 'tail.bin'), content);

      const res = await davRequest(engine, { method: 'GET', path: '/tail.bin' });

      expect(res.status).toBe(200);
      expect(res.body.length).toBe(size);
      expect(sha256(res.body)).toBe(sha256(content));
    });

    it('cuts the connection when the file shrinks under a download (the announced length cannot be met)', async () => {
      // Four reads: by the first bytes the guest sees, the first is out and the second may have been read
      // ahead (file-response.ts); the third is made after the truncation.
      const size = 4 * LARGE_READ_BYTES;
      const file = path.join(sandbox.share, 'shrinking.bin');
      writeFileSync(file, randomBytes(size));
      const connection = connect(engine);
      let received = 0;
      let truncated = false;
      const ended = new Promise<void>((resolve) => {
        connection.on('close', () => resolve());
        connection.on('end', () => resolve());
      });
      connection.on('error', () => undefined);
      connection.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (!truncated) {
          truncated = true;
          truncateSync(file, 1000);
        }
      });
      connection.write('GET /shrinking.bin HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await ended;
      expect(received).toBeLessThan(size);
    });
  },
);
