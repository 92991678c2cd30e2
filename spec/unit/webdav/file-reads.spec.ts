import { randomBytes } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { LARGE_READ_BYTES } from '../../../src/webdav/file-response';
import { connect, davRequest } from './support/dav-client';
import { fileHandlePrototype } from './support/file-handle-prototype';
import { makeSandbox, sha256, type Sandbox } from './support/temp-share';

describe('GET reads the file in large reads, one at a time', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeAll(async () => {
    sandbox = makeSandbox();
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('a 4 MiB file goes out intact in reads of 32 mux frames each', async () => {
    const content = randomBytes(4 * 1024 * 1024);
    writeFileSync(path.join(sandbox.share, 'big.bin'), content);
    const handlePrototype = await fileHandlePrototype(sandbox.outside);
    const reads = jest.spyOn(handlePrototype, 'read');

    const res = await davRequest(engine, { method: 'GET', path: '/big.bin' });

    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(sha256(content));
    expect(reads.mock.calls.length).toBeLessThanOrEqual(Math.ceil(content.length / LARGE_READ_BYTES));
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
    const size = 4 * 1024 * 1024;
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
});
