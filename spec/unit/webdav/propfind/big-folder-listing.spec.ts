import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { UPLOAD_TEMP_PREFIX } from '../../../../src/webdav/atomic-file-writer';
import { davRequest } from '../support/dav-client';
import { propertyOf, readMultistatus } from '../support/multistatus';
import { makeSandbox, type Sandbox } from '../support/temp-share';

const NS = 'http://example.com/ns/';
/** More than a listing keeps from its first pass: the answer reads the folder a second time, in pieces. */
const ENTRIES = 6000;

/**
 * A Depth 1 listing reads its folder in pieces: once to count what the guest can inflate (dead properties,
 * locks, requested names), and, for a folder larger than it keeps, once more as the answer goes. Until
 * session 23 it read every name at once and held them until its answer had left (about 330 MB for a million).
 */
describe('a listing of a folder larger than a listing keeps', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  const names = Array.from({ length: ENTRIES }, (_, i) => `f${String(i).padStart(5, '0')} é.txt`);

  beforeEach(async () => {
    sandbox = makeSandbox();
    const big = path.join(sandbox.share, 'big');
    mkdirSync(big);
    for (const name of names) writeFileSync(path.join(big, name), '');
    // Upload temp files are the engine's own: never listed, however many pieces the folder is read in.
    for (let i = 0; i < 3; i++) writeFileSync(path.join(big, `${UPLOAD_TEMP_PREFIX}${i}`), 'partial');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('lists every entry once, with its dead properties, and no temp file', async () => {
    const last = encodeURIComponent(names[ENTRIES - 1] as string);
    const patched = await davRequest(engine, {
      method: 'PROPPATCH',
      path: `/big/${last}`,
      body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${NS}"><D:set><D:prop><Z:tag>kept</Z:tag></D:prop></D:set></D:propertyupdate>`,
    });
    expect(patched.status).toBe(207);

    const listing = await davRequest(engine, { method: 'PROPFIND', path: '/big/', headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    const responses = readMultistatus(listing.body);
    const hrefs = responses.map((response) =>
      decodeURIComponent(new URL(response.href, 'http://h').pathname),
    );
    expect(new Set(hrefs).size).toBe(ENTRIES + 1);
    expect(hrefs.filter((href) => href.includes(UPLOAD_TEMP_PREFIX))).toEqual([]);
    expect(hrefs.slice(1).sort()).toEqual(names.map((name) => `/big/${name}`).sort());
    const tagged = responses.find((response) => response.href.endsWith(`/${last}`));
    expect(propertyOf(tagged, NS, 'tag')).toBe(`<{${NS}}tag>kept</>`);
  });

  it('refuses cleanly (507, nothing sent before) when the requested names would outgrow the cap', async () => {
    // 256 names as long as a request may ask for: 47 bytes of empty element each, 12 KB per entry, 72 MB for
    // the folder: over the 64 MiB cap.
    const many = Array.from(
      { length: 256 },
      (_, i) => `<Z:p${String(i).padStart(3, '0')}${'x'.repeat(37)}/>`,
    );
    const listing = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/big/',
      headers: { Depth: '1' },
      body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="${NS}"><D:prop>${many.join('')}</D:prop></D:propfind>`,
    });
    expect(listing.status).toBe(507);
    expect(listing.body.toString()).toContain('ask for fewer properties');
  });
});
