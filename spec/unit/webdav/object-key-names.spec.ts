import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';

/**
 * Names are the guest's, so no lookup keyed by a name (or a part of one) may answer with what a JavaScript
 * object inherits: a file named `x.constructor` made its folder's every listing a 500, and its GET carried
 * `Content-Type: function Object() { [native code] }` (session 22, an attacker's finding).
 */
describe('names that are also the keys of every JavaScript object', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  const NAMES = [
    'x.constructor',
    'x.__proto__',
    'x.toString',
    'x.hasOwnProperty',
    '__proto__',
    'constructor',
  ];

  beforeEach(async () => {
    sandbox = makeSandbox();
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('are files like any other: stored, served and listed', async () => {
    for (const name of NAMES) {
      expect((await davRequest(engine, { method: 'PUT', path: `/${name}`, body: name })).status).toBe(201);
      const got = await davRequest(engine, { method: 'GET', path: `/${name}` });
      expect([got.status, got.body.toString(), got.headers['content-type']]).toEqual([
        200,
        name,
        'application/octet-stream',
      ]);
    }
    const listing = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    const text = listing.body.toString();
    for (const name of NAMES) expect(text).toContain(`<D:displayname>${name}</D:displayname>`);
    expect(text.match(/<D:getcontenttype>application\/octet-stream<\/D:getcontenttype>/g)).toHaveLength(
      NAMES.length,
    );
  });
});
