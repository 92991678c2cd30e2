import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest } from './support/dav-client';
import { makeSandbox, manifest, writeFiles, type Sandbox } from './support/temp-share';

describe('read-only share', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'hello.txt': 'hello', 'dir/x.txt': 'x' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: true });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('allows GET, HEAD, OPTIONS and PROPFIND', async () => {
    expect((await davRequest(engine, { method: 'GET', path: '/hello.txt' })).status).toBe(200);
    expect((await davRequest(engine, { method: 'HEAD', path: '/hello.txt' })).status).toBe(200);
    const options = await davRequest(engine, { method: 'OPTIONS', path: '/' });
    expect(options.status).toBe(200);
    expect(options.headers.allow).toBe('OPTIONS, GET, HEAD, PROPFIND');
    expect(
      (await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } })).status,
    ).toBe(207);
  });

  it.each([
    'PUT',
    'DELETE',
    'MKCOL',
    'COPY',
    'MOVE',
    'PROPPATCH',
    'LOCK',
    'UNLOCK',
    'POST',
    'PATCH',
    'REPORT',
    'TRACE',
  ])('answers %s with 403, never 401, and changes nothing', async (method) => {
    const before = manifest(sandbox.share);
    const res = await davRequest(engine, {
      method,
      path: '/hello.txt',
      headers: { Destination: '/copy.txt', 'Lock-Token': '<urn:uuid:1>' },
      body: method === 'PUT' || method === 'POST' ? 'overwritten' : undefined,
    });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(manifest(sandbox.share)).toEqual(before);
  });
});
