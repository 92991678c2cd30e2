import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { NamespaceLock } from '../../../src/webdav/namespace-lock';
import { davRequest } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';

/**
 * rclone sends a MKCOL of the folder before every upload into it. A MKCOL of a name that exists is a 405
 * given under the namespace lock held shared: taking it alone would wait for every request in flight and hold
 * back every one behind it, once per uploaded file. Only a MKCOL that creates takes it alone.
 */
describe('MKCOL and the namespace lock', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let exclusive: jest.SpyInstance;

  beforeEach(async () => {
    sandbox = makeSandbox();
    mkdirSync(path.join(sandbox.share, 'dir'));
    writeFileSync(path.join(sandbox.share, 'f.txt'), 'a file');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    exclusive = jest.spyOn(NamespaceLock.prototype, 'exclusive');
  });

  afterEach(async () => {
    exclusive.mockRestore();
    await engine.close();
    sandbox.remove();
  });

  it.each([
    ['a folder', '/dir'],
    ['a folder, named with a slash', '/dir/'],
    ['a file', '/f.txt'],
    ['a file, named with a slash', '/f.txt/'],
  ])('of %s is a 405 with its Allow, without the lock held alone', async (_, target) => {
    const response = await davRequest(engine, { method: 'MKCOL', path: target });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toContain('GET');
    expect(exclusive).not.toHaveBeenCalled();
  });

  it('of a free name creates the folder, with the lock held alone', async () => {
    const response = await davRequest(engine, { method: 'MKCOL', path: '/new' });
    expect(response.status).toBe(201);
    expect(exclusive).toHaveBeenCalledTimes(1);
    expect((await davRequest(engine, { method: 'MKCOL', path: '/new' })).status).toBe(405);
    expect(exclusive).toHaveBeenCalledTimes(1);
  });

  it('of a name in a missing folder is still a 409', async () => {
    expect((await davRequest(engine, { method: 'MKCOL', path: '/nowhere/new' })).status).toBe(409);
  });
});
