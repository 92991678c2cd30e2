import { createHook } from 'node:async_hooks';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { keepAliveClient, type DavRequest } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

/**
 * Issue 12 (many small files): each file-system call is a trip through libuv's thread pool (two context
 * switches and tens of µs of CPU), so a small request's cost is mostly how many it makes. These bounds count
 * the calls of one request of each kind rclone sends: a path is resolved in two calls (lstat, then realpath),
 * once per request under the namespace lock, and that one answer serves both the dispatch table and the
 * handler (GET and PUT: the handler's own locked phase).
 */
describe('file-system calls per small request', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let client: ReturnType<typeof keepAliveClient>;
  let calls: string[];
  let hook: ReturnType<typeof createHook>;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'd/a.txt': 'x'.repeat(4096) });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    client = keepAliveClient(engine);
    calls = [];
    // Every file-system call on libuv's thread pool starts one of these (promise, callback or close forms).
    hook = createHook({
      init: (_id, type) => {
        if (type.startsWith('FSREQ') || type === 'FILEHANDLECLOSEREQ') calls.push(type);
      },
    }).enable();
  });

  afterEach(async () => {
    hook.disable();
    client.close();
    await engine.close();
    sandbox.remove();
  });

  async function callsOf(request: DavRequest, status: number): Promise<string[]> {
    calls = [];
    const res = await client.request(request);
    expect(res.status).toBe(status);
    return calls;
  }

  // Before the path was resolved once per request (and in two calls): 10, 6, 8, 16, 18 and 8. Before a small
  // PUT was placed in one locked section (session 6): 10 and 14.
  it.each([
    ['GET of a 4 KiB file', { method: 'GET', path: '/d/a.txt' }, 200, 6],
    ['PROPFIND Depth 0 of a file', { method: 'PROPFIND', path: '/d/a.txt', headers: { Depth: '0' } }, 207, 2],
    ['MKCOL', { method: 'MKCOL', path: '/d/e' }, 201, 4],
    ['PUT of a new 4 KiB file', { method: 'PUT', path: '/d/b.txt', body: 'y'.repeat(4096) }, 201, 6],
    ['PUT over a 4 KiB file', { method: 'PUT', path: '/d/a.txt', body: 'y'.repeat(4096) }, 204, 7],
    ['DELETE of a file', { method: 'DELETE', path: '/d/a.txt' }, 204, 3],
  ] as const)('%s makes at most its calls', async (_name, request, status, most) => {
    expect((await callsOf(request, status)).length).toBeLessThanOrEqual(most);
  });
});
