import { randomBytes } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { MUX_MAX_PAYLOAD } from '../../../src/wire/constants';
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

  it('a 4 MiB file goes out intact in reads of 8 mux frames each', async () => {
    const content = randomBytes(4 * 1024 * 1024);
    writeFileSync(path.join(sandbox.share, 'big.bin'), content);
    const handlePrototype = await fileHandlePrototype(sandbox.outside);
    const reads = jest.spyOn(handlePrototype, 'read');

    const res = await davRequest(engine, { method: 'GET', path: '/big.bin' });

    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(sha256(content));
    expect(reads.mock.calls.length).toBeLessThanOrEqual(Math.ceil(content.length / (8 * MUX_MAX_PAYLOAD)));
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
