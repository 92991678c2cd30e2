import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { UPLOAD_TEMP_PREFIX } from '../../../src/webdav/atomic-file-writer';
import { INDEX_ENTRIES, folderIndexHtml } from '../../../src/webdav/folder-index';
import { davRequest } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

/**
 * A browser in the guest at http://localhost:9843/ got "405 This is a folder; list it with PROPFIND" (a new
 * user's finding, session 23): a folder asked for with GET is a page of links now, as phodav gives.
 */
describe('GET of a folder', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, {
      'b.txt': 'b',
      'a <img src=x onerror=alert(1)>&amp;.txt': 'x',
      'sub/inner.txt': 'i',
      [`${UPLOAD_TEMP_PREFIX}0`]: 'partial',
    });
    writeFileSync(path.join(sandbox.outside, 'secret.txt'), 'secret');
    symlinkSync(path.join(sandbox.outside, 'secret.txt'), path.join(sandbox.share, 'out-link'));
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: true });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('is a page of links to what a listing shows, escaped, running nothing', async () => {
    const page = await davRequest(engine, { method: 'GET', path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe("default-src 'none'");
    const html = page.body.toString();
    expect(html).toContain('<a href="/sub/">sub/</a>');
    expect(html).toContain('<a href="/b.txt">b.txt</a>');
    expect(html).toContain('>a &lt;img src=x onerror=alert(1)&gt;&amp;amp;.txt</a>');
    expect(html).not.toContain('<img');
    // No temp file, no link that leads out of the share.
    expect(html).not.toContain(UPLOAD_TEMP_PREFIX);
    expect(html).not.toContain('out-link');
  });

  it('links right from a folder named without its trailing slash, and HEAD has no body', async () => {
    const page = await davRequest(engine, { method: 'GET', path: '/sub' });
    expect(page.body.toString()).toContain('<a href="/sub/inner.txt">inner.txt</a>');
    expect(page.body.toString()).toContain('<a href="../">../</a>');
    const head = await davRequest(engine, { method: 'HEAD', path: '/sub/' });
    expect([head.status, head.body.length]).toEqual([200, 0]);
  });

  it(`shows at most ${INDEX_ENTRIES} entries and says there are more`, async () => {
    const many = path.join(sandbox.share, 'many');
    mkdirSync(many);
    for (let i = 0; i <= INDEX_ENTRIES; i++) writeFileSync(path.join(many, `f${i}`), '');
    const html = (await davRequest(engine, { method: 'GET', path: '/many/' })).body.toString();
    expect(html.match(/<li>/g)).toHaveLength(INDEX_ENTRIES + 1); // with ../
    expect(html).toContain(`Only the first ${INDEX_ENTRIES} entries are shown`);
  });
});

describe('folderIndexHtml', () => {
  it('escapes quotes in links and names', () => {
    const html = folderIndexHtml('/d/', [{ name: `x"' onmouseover=y`, isFolder: false }], false);
    expect(html).toContain(`<a href="/d/x%22&apos;%20onmouseover=y">x&quot;&apos; onmouseover=y</a>`);
  });
});
