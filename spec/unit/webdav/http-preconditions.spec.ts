import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { entityTag } from '../../../src/webdav/entity-tag';
import { evaluateConditions } from '../../../src/webdav/http-preconditions';
import { connect, davRequest, statusesIn } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';
import { until } from './support/until';

/**
 * HTTP's conditional requests (RFC 9110 §13) for every method. davfs2 sends each PUT with `If-Match: "<the
 * tag it read>"`: a file the host changed since must be refused with 412 (davfs2 then keeps the guest's copy
 * in its lost+found), not silently replaced. Until session 22 only GET and HEAD read these headers.
 */
describe('evaluateConditions', () => {
  const mtimeMs = Date.parse('2026-11-30T12:00:00Z') + 250;
  const stats = { ino: 7, size: 3, mtimeMs, ctimeMs: mtimeMs + 1 } as Stats;
  const tag = entityTag(stats);
  const before = 'Sun, 29 Nov 2026 12:00:00 GMT';
  const same = 'Mon, 30 Nov 2026 12:00:00 GMT';

  it.each([
    ['no conditions', {}, stats, 'proceed', 'proceed'],
    ['If-Match of the tag', { 'if-match': tag }, stats, 'proceed', 'proceed'],
    ['If-Match in a list', { 'if-match': `"x", ${tag}` }, stats, 'proceed', 'proceed'],
    ['If-Match of another tag', { 'if-match': '"stale"' }, stats, 'failed', 'failed'],
    ['If-Match weak', { 'if-match': `W/${tag}` }, stats, 'failed', 'failed'],
    ['If-Match: * on nothing', { 'if-match': '*' }, undefined, 'failed', 'failed'],
    ['If-Match: * on a file', { 'if-match': '*' }, stats, 'proceed', 'proceed'],
    ['If-None-Match: * on a file', { 'if-none-match': '*' }, stats, 'not-modified', 'failed'],
    ['If-None-Match: * on nothing', { 'if-none-match': '*' }, undefined, 'proceed', 'proceed'],
    ['If-None-Match weak of the tag', { 'if-none-match': `W/${tag}` }, stats, 'not-modified', 'failed'],
    ['If-None-Match of another tag', { 'if-none-match': '"x"' }, stats, 'proceed', 'proceed'],
    ['If-Unmodified-Since before', { 'if-unmodified-since': before }, stats, 'failed', 'failed'],
    ['If-Unmodified-Since the same second', { 'if-unmodified-since': same }, stats, 'proceed', 'proceed'],
    ['If-Unmodified-Since unreadable', { 'if-unmodified-since': 'soon' }, stats, 'proceed', 'proceed'],
    [
      'If-Unmodified-Since under a matching If-Match',
      { 'if-match': tag, 'if-unmodified-since': before },
      stats,
      'proceed',
      'proceed',
    ],
    ['If-Modified-Since the same second', { 'if-modified-since': same }, stats, 'not-modified', 'proceed'],
    ['If-Modified-Since before', { 'if-modified-since': before }, stats, 'proceed', 'proceed'],
    [
      'If-Modified-Since under If-None-Match',
      { 'if-none-match': '"x"', 'if-modified-since': same },
      stats,
      'proceed',
      'proceed',
    ],
  ] as const)('%s', (_, headers, current, safe, unsafe) => {
    expect([evaluateConditions(headers, current, true), evaluateConditions(headers, current, false)]).toEqual(
      [safe, unsafe],
    );
  });
});

describe('conditional requests to the engine', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  const file = () => path.join(sandbox.share, 'doc.txt');
  const content = () => readFileSync(file(), 'utf8');

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'doc.txt': 'v1', 'folder/inner.txt': 'inner' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const currentTag = () => entityTag(statSync(file()));
  const request = (method: string, target: string, headers: Record<string, string>, body?: string) =>
    davRequest(engine, { method, path: target, headers, ...(body === undefined ? {} : { body }) });

  it('PUT: refuses a stale If-Match, replaces on the current one', async () => {
    expect((await request('PUT', '/doc.txt', { 'If-Match': '"stale"' }, 'v2')).status).toBe(412);
    expect(content()).toBe('v1');
    expect((await request('PUT', '/doc.txt', { 'If-Match': currentTag() }, 'v2')).status).toBe(204);
    expect(content()).toBe('v2');
  });

  // A reviewer's finding (session 28): inode, size and a client-set mtime repeat across versions of a file
  // (ext4 reuses a freed inode at once), so a stale If-Match passed and overwrote a version never seen.
  it('tells apart versions of one size whose modification time the client set to the same second', async () => {
    const seen = new Set<string>();
    for (const version of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) {
      expect((await request('PUT', '/doc.txt', { 'X-OC-Mtime': '1700000000' }, version)).status).toBe(204);
      const tag = String((await request('HEAD', '/doc.txt', {})).headers.etag);
      expect(seen.has(tag)).toBe(false);
      seen.add(tag);
    }
    const first = [...seen][0] ?? '';
    expect((await request('PUT', '/doc.txt', { 'If-Match': first }, 'v7')).status).toBe(412);
    expect((await request('GET', '/doc.txt', { 'If-None-Match': first })).status).toBe(200);
  });

  it('keeps the tag of a file whose access time alone changed (a Windows PROPPATCH does that)', async () => {
    const mtime = new Date('2026-11-30T12:00:00Z'); // whole seconds, as the clients that set it send
    utimesSync(file(), mtime, mtime);
    const tag = currentTag();
    utimesSync(file(), new Date(Date.now() + 60_000), mtime);
    expect(currentTag()).toBe(tag);
    expect((await request('PUT', '/doc.txt', { 'If-Match': tag }, 'v2')).status).toBe(204);
  });

  // A regression reviewer's finding (session 28): the second check of a streamed upload saw its folder's tag
  // changed by the upload's own temp file, and refused it (412) whatever the client sent.
  it("a streamed PUT conditioned on its folder's tag is judged on the folder as it was before the upload", async () => {
    const folderTag = entityTag(statSync(path.join(sandbox.share, 'folder')));
    const big = 'x'.repeat(256 * 1024);
    const headers = { If: `<http://localhost:9843/folder/> ([${folderTag}])` };
    expect((await request('PUT', '/folder/new.txt', headers, big)).status).toBe(201);
    const stale = { If: `<http://localhost:9843/folder/> (["stale"])` };
    expect((await request('PUT', '/folder/other.txt', stale, big)).status).toBe(412);
  });

  it('GET: If-Range serves the range for the current tag, the whole file for a date or another tag', async () => {
    await writeFiles(sandbox.share, { 'doc.txt': '0123456789' });
    const lastModified = String((await request('HEAD', '/doc.txt', {})).headers['last-modified']);
    const ranged = await request('GET', '/doc.txt', { Range: 'bytes=4-', 'If-Range': currentTag() });
    expect([ranged.status, ranged.body.toString()]).toEqual([206, '456789']);
    // A date has one-second resolution: a file rewritten within that second would splice two versions.
    for (const validator of [lastModified, '"stale"']) {
      const whole = await request('GET', '/doc.txt', { Range: 'bytes=4-', 'If-Range': validator });
      expect([whole.status, whole.body.toString()]).toEqual([200, '0123456789']);
    }
  });

  it('PUT: If-None-Match: * creates only; If-Match: * replaces only', async () => {
    expect((await request('PUT', '/doc.txt', { 'If-None-Match': '*' }, 'v2')).status).toBe(412);
    expect((await request('PUT', '/new.txt', { 'If-Match': '*' }, 'new')).status).toBe(412);
    expect(readdirSync(sandbox.share).sort()).toEqual(['doc.txt', 'folder']);
    expect((await request('PUT', '/new.txt', { 'If-None-Match': '*' }, 'new')).status).toBe(201);
    expect(content()).toBe('v1');
  });

  it('PUT and GET: If-Unmodified-Since before the last change is 412', async () => {
    const past = new Date(statSync(file()).mtimeMs - 60_000).toUTCString();
    expect((await request('PUT', '/doc.txt', { 'If-Unmodified-Since': past }, 'v2')).status).toBe(412);
    expect((await request('GET', '/doc.txt', { 'If-Unmodified-Since': past })).status).toBe(412);
    expect(content()).toBe('v1');
  });

  it('DELETE, MOVE and COPY: a stale If-Match changes nothing', async () => {
    for (const [method, extra] of [
      ['DELETE', {}],
      ['MOVE', { Destination: '/moved.txt' }],
      ['COPY', { Destination: '/copied.txt' }],
    ] as const) {
      expect((await request(method, '/doc.txt', { ...extra, 'If-Match': '"stale"' })).status).toBe(412);
    }
    expect(readdirSync(sandbox.share).sort()).toEqual(['doc.txt', 'folder']);
    expect((await request('DELETE', '/doc.txt', { 'If-Match': currentTag() })).status).toBe(204);
  });

  // The streamed way (over 64 KiB) checks when it opens the temp file and again when it renames it over the
  // target: the host may change the file while the body streams.
  it('a streamed PUT whose target the host changed while the body streamed is 412, and the change stays', async () => {
    const tag = currentTag();
    const body = Buffer.alloc(256 * 1024, 0x61);
    const client = connect(engine);
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    client.write(
      `PUT /doc.txt HTTP/1.1\r\nHost: h\r\nIf-Match: ${tag}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    client.write(body.subarray(0, 1024));
    await until(() => readdirSync(sandbox.share).some((name) => name.startsWith('.spice-webdav-upload-')));
    writeFileSync(file(), 'changed on the host');
    utimesSync(file(), new Date(), new Date(Date.now() + 5_000));
    client.write(body.subarray(1024));
    await until(() => statusesIn(received).length > 0);
    client.destroy();
    expect(statusesIn(received)).toEqual([412]);
    expect(content()).toBe('changed on the host');
    expect(readdirSync(sandbox.share).sort()).toEqual(['doc.txt', 'folder']);
  });
});
