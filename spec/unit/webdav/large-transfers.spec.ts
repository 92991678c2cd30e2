import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest } from './support/dav-client';
import { makeSandbox, sha256, type Sandbox } from './support/temp-share';

const SIZE = 64 * 1024 * 1024;

describe('large files over an in-memory duplex', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let content: Buffer;

  beforeAll(async () => {
    sandbox = makeSandbox();
    content = randomBytes(SIZE);
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterAll(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('GETs 64 MiB intact', async () => {
    writeFileSync(path.join(sandbox.share, 'down.bin'), content);
    const res = await davRequest(engine, { method: 'GET', path: '/down.bin' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(SIZE);
    expect(sha256(res.body)).toBe(sha256(content));
  }, 60_000);

  it('PUTs 64 MiB intact', async () => {
    const res = await davRequest(engine, { method: 'PUT', path: '/up.bin', body: content });
    expect(res.status).toBe(201);
    expect(sha256(readFileSync(path.join(sandbox.share, 'up.bin')))).toBe(sha256(content));
  }, 60_000);
});
