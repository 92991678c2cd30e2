import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { DEFAULT_LOCK_BUDGET } from '../../../src/webdav/locks/lock-table';
import { FREE_BODY_BYTES, largeBodyUnits } from '../../../src/webdav/request-body';
import { connect, davRequest, oneBytePerChunk, rawExchange, type DavResponse } from './support/dav-client';
import { propertyOf, readMultistatus } from './support/multistatus';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';
import { until } from './support/until';

/**
 * Issue 11, as an attacker inside the guest would try it: XML bodies built to cost the client more than
 * they cost the guest, guest-controlled state without a byte budget, PROPFIND bodies the old fast path
 * declined, and names XML cannot carry. Every bound is counted in bytes or entries, never in time.
 */
describe('hostile XML and guest-controlled state', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a.txt': 'alpha', 'dir/in.txt': 'in' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const many = (n: number, make: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => make(i)).join('');
  const LONG_NAMESPACE = `urn:${'n'.repeat(1000)}`;
  /** Output may grow by escaping and short prefixes, never by more than this factor (plus fixed framing). */
  const GROWTH = 8;

  const propfind = (target: string, body: string, depth = '0'): Promise<DavResponse> =>
    davRequest(engine, { method: 'PROPFIND', path: target, headers: { Depth: depth }, body });
  const expectStillServing = async () =>
    expect((await davRequest(engine, { method: 'GET', path: '/a.txt' })).body.toString()).toBe('alpha');

  describe('one body, one parse, bounded', () => {
    it('reads a body sent one byte per chunk (copied together, not held as a view per byte) and answers it', async () => {
      const xml =
        '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/></D:prop></D:propfind>';
      const body = Buffer.from(xml + ' '.repeat(200_000)); // whitespace after the root is allowed
      const head = 'PROPFIND /a.txt HTTP/1.1\r\nHost: g\r\nDepth: 0\r\nTransfer-Encoding: chunked\r\n\r\n';
      const answer = await rawExchange(
        engine,
        Buffer.concat([Buffer.from(head), oneBytePerChunk(body)]),
        (r) => r.includes('</D:multistatus>'),
      );
      expect(answer).toMatch(/^HTTP\/1\.1 207 /);
      expect(answer).toContain('<D:getcontentlength>5</D:getcontentlength>');
    });

    it('refuses 40,000 namespace prefixes on the root with deep nesting (400), without building them', async () => {
      const body =
        `<D:propfind xmlns:D="DAV:" ${many(40_000, (i) => `xmlns:p${i}="u" `)}>` +
        '<p1:x>'.repeat(5000) +
        '</p1:x>'.repeat(5000) +
        '</D:propfind>';
      const res = await propfind('/', body);
      expect(res.status).toBe(400);
      expect(res.body.toString()).toContain('declares more than 16 namespaces');
      await expectStillServing();
    });

    it('refuses a body of repeated "<?" (400)', async () => {
      const res = await propfind('/', '<?'.repeat(400_000));
      expect(res.status).toBe(400);
      await expectStillServing();
    });

    it('refuses a DOCTYPE with nested entities (billion laughs) in every XML method', async () => {
      const laughs =
        '<?xml version="1.0"?><!DOCTYPE D:propfind [<!ENTITY a "aaaaaaaaaa">' +
        many(
          9,
          (i) => `<!ENTITY ${'b'.repeat(i + 1)} "${`&${i === 0 ? 'a' : 'b'.repeat(i)};`.repeat(10)}">`,
        ) +
        ']><D:propfind xmlns:D="DAV:"><D:prop><D:x>&bbbbbbbbb;</D:x></D:prop></D:propfind>';
      for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
        const res = await davRequest(engine, { method, path: '/a.txt', body: laughs });
        expect(res.status).toBe(400);
        expect(res.body.toString()).toContain('DOCTYPE');
      }
    });

    it('refuses an element with 50,000 attributes and 10,000-deep nesting (400)', async () => {
      const wide = await propfind('/', `<D:propfind xmlns:D="DAV:" ${many(50_000, (i) => `a${i}="" `)}/>`);
      expect(wide.status).toBe(400);
      const deep = await propfind('/', `<D:propfind xmlns:D="DAV:">${'<D:prop>'.repeat(10_000)}`);
      expect(deep.status).toBe(400);
      expect(deep.body.toString()).toContain('deeper than');
    });
  });

  describe('bodies read whole share one budget', () => {
    it('nine connections stopping 1 MiB bodies one byte short: eight are held, one is refused (503)', async () => {
      const size = 1024 * 1024;
      const unitsEach = Math.ceil((size - 1 - FREE_BODY_BYTES) / (64 * 1024)); // 15 of the 128
      const answers: string[] = [];
      const connections = Array.from({ length: 9 }, (_, i) => {
        const connection = connect(engine);
        answers[i] = '';
        connection.on('data', (chunk: Buffer) => (answers[i] += chunk.toString('latin1')));
        connection.write(`PROPPATCH /a.txt HTTP/1.1\r\nHost: g\r\nContent-Length: ${size}\r\n\r\n`);
        connection.write(' '.repeat(size - 1));
        return connection;
      });
      try {
        await until(() => answers.some((answer) => answer.startsWith('HTTP/1.1 503 ')));
        await until(() => largeBodyUnits.inUse === 8 * unitsEach);
        expect(answers.filter((answer) => answer !== '')).toHaveLength(1);
        expect(answers.find((answer) => answer !== '')).toContain('Retry-After: 5');
      } finally {
        for (const connection of connections) connection.destroy();
      }
      await until(() => largeBodyUnits.inUse === 0);

      // With the budget back, a large body is read and answered.
      const body = '<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>' + ' '.repeat(500_000);
      expect((await propfind('/a.txt', body)).status).toBe(207);
    });
  });

  describe('what is stored is written back without growing faster than it came in', () => {
    /** Siblings in a long default namespace declared once: the old writer re-declared it on each. */
    const ownerBody = (elements: number) =>
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>' +
      `<D:locktype><D:write/></D:locktype><D:owner><o xmlns="${LONG_NAMESPACE}">${'<a/>'.repeat(elements)}</o>` +
      '</D:owner></D:lockinfo>';

    it('LOCK: the answer is at most 8 times the body, plus framing', async () => {
      const body = ownerBody(400);
      const res = await davRequest(engine, { method: 'LOCK', path: '/a.txt', body });
      expect(res.status).toBe(200);
      expect(res.body.length).toBeLessThanOrEqual(GROWTH * body.length + 1024);
      const discovered = await propfind(
        '/a.txt',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>',
      );
      expect(discovered.body.length).toBeLessThanOrEqual(GROWTH * body.length + 1024);
      readMultistatus(discovered.body);
    });

    it('PROPPATCH: the PROPFIND of what it stored is at most 8 times its body, plus framing', async () => {
      const body =
        `<D:propertyupdate xmlns:D="DAV:" xmlns="${LONG_NAMESPACE}"><D:set><D:prop>` +
        `${many(100, (i) => `<p${i}>${'<a/>'.repeat(90)}</p${i}>`)}</D:prop></D:set></D:propertyupdate>`;
      const res = await davRequest(engine, { method: 'PROPPATCH', path: '/a.txt', body });
      expect(res.status).toBe(207);
      expect(res.body.length).toBeLessThanOrEqual(GROWTH * body.length + 1024);
      const found = await propfind('/a.txt', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>');
      expect(found.body.length).toBeLessThanOrEqual(GROWTH * body.length + 2048);
      const [response] = readMultistatus(found.body);
      expect(propertyOf(response, LONG_NAMESPACE, 'p99')).toBe(
        `<{${LONG_NAMESPACE}}p99>${`<{${LONG_NAMESPACE}}a></>`.repeat(90)}</>`,
      );
    });
  });

  describe('guest-controlled state has a byte budget', () => {
    it('LOCK: an owner over the per-lock budget gets 507 and takes no lock', async () => {
      const body = (owner: string) =>
        '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype>' +
        `<D:owner>${owner}</D:owner></D:lockinfo>`;
      const res = await davRequest(engine, {
        method: 'LOCK',
        path: '/a.txt',
        body: body('x'.repeat(DEFAULT_LOCK_BUDGET.maxOwnerBytes + 1)),
      });
      expect(res.status).toBe(507);
      expect(res.body.toString()).toContain('lock owner is larger');
      expect((await davRequest(engine, { method: 'PUT', path: '/a.txt', body: 'free' })).status).toBe(204);
    });

    it('LOCK: shared locks with big owners stop at the total budget; PROPFIND of the file stays bounded', async () => {
      const owner = 'o'.repeat(DEFAULT_LOCK_BUDGET.maxOwnerBytes - 100);
      const body =
        '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype>' +
        `<D:owner>${owner}</D:owner></D:lockinfo>`;
      const maxLocks = Math.ceil(DEFAULT_LOCK_BUDGET.maxTotalOwnerBytes / owner.length);
      let granted = 0;
      let refused: DavResponse | undefined;
      while (refused === undefined && granted <= maxLocks) {
        const res = await davRequest(engine, { method: 'LOCK', path: '/a.txt', body });
        if (res.status === 200) granted++;
        else refused = res;
      }
      expect(refused?.status).toBe(507);
      expect(granted * owner.length).toBeLessThanOrEqual(DEFAULT_LOCK_BUDGET.maxTotalOwnerBytes);
      const listed = await propfind('/a.txt', '');
      expect(listed.status).toBe(207);
      expect(listed.body.length).toBeLessThanOrEqual(DEFAULT_LOCK_BUDGET.maxTotalOwnerBytes + granted * 1024);
    });

    it('PROPFIND Depth 1 under a folder with many shared depth-infinity locks is capped (507), Depth 0 answers', async () => {
      await writeFiles(
        sandbox.share,
        Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`dir/f${i}`, ''])),
      );
      const owner = 'o'.repeat(DEFAULT_LOCK_BUDGET.maxOwnerBytes - 100);
      const body =
        '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype>' +
        `<D:owner>${owner}</D:owner></D:lockinfo>`;
      let status = 200;
      while (status === 200)
        status = (
          await davRequest(engine, { method: 'LOCK', path: '/dir', headers: { Depth: 'infinity' }, body })
        ).status;
      expect(status).toBe(507);
      // Each of the 102 entries would repeat about 4 MiB of lock discovery: 400 MiB if nothing capped it.
      const listing = await propfind('/dir/', '', '1');
      expect(listing.status).toBe(507);
      expect(listing.body.toString()).toContain('ask for fewer properties');
      const names = await propfind(
        '/dir/',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
        '1',
      );
      expect(readMultistatus(names.body)).toHaveLength(102);
      expect((await propfind('/dir/', '', '0')).status).toBe(207);
    }, 60_000);

    it('PROPPATCH: one path holds at most its byte budget (507 beyond), names and values counted', async () => {
      const set = (name: string) =>
        `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:${name}>${'v'.repeat(250_000)}` +
        `</Z:${name}></D:prop></D:set></D:propertyupdate>`;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await davRequest(engine, { method: 'PROPPATCH', path: '/a.txt', body: set(`p${i}`) });
        statuses.push(Number(/HTTP\/1\.1 (\d+)/.exec(res.body.toString())?.[1]));
      }
      expect(statuses).toEqual([200, 200, 200, 200, 507, 507]);
      // Another path still has its own budget.
      const other = await davRequest(engine, { method: 'PROPPATCH', path: '/dir/in.txt', body: set('q') });
      expect(other.body.toString()).toContain('200 OK');
    });
  });

  describe('every PROPFIND is ours', () => {
    it('answers allprop + include on a 20,000-entry folder itself, in bounded bytes per entry', async () => {
      const big = path.join(sandbox.share, 'big');
      await fsp.mkdir(big);
      for (let i = 0; i < 20_000; i += 500)
        await Promise.all(
          Array.from({ length: 500 }, (_, j) => fsp.writeFile(path.join(big, `f${i + j}.txt`), '')),
        );
      const patched = await davRequest(engine, {
        method: 'PROPPATCH',
        path: '/big/f7.txt',
        body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>',
      });
      expect(patched.status).toBe(207);
      const res = await propfind(
        '/big/',
        '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:allprop/><D:include><Z:color/><Z:size/></D:include></D:propfind>',
        '1',
      );
      expect(res.status).toBe(207);
      const responses = readMultistatus(res.body);
      expect(responses).toHaveLength(20_001);
      expect(res.body.length).toBeLessThanOrEqual(20_001 * 1500);
      // Dead properties and the include's 404s: what only our answer has (the library knew neither).
      const seven = responses.find((response) => response.href.endsWith('/big/f7.txt'));
      expect(propertyOf(seven, 'urn:z', 'color')).toBe('<{urn:z}color>red</>');
      expect(propertyOf(seven, 'urn:z', 'size', '404')).toBe('<{urn:z}size></>');
    }, 120_000);

    it.each([
      ['an empty body', ''],
      ['allprop', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'],
      ['propname', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'],
      [
        'prop with values inside',
        '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag><x/></D:getetag></D:prop></D:propfind>',
      ],
      [
        'an unknown extension',
        '<D:propfind xmlns:D="DAV:" xmlns:E="urn:e"><E:hint/><D:propname/></D:propfind>',
      ],
    ])('answers %s, Depth 0 and 1, with well-formed XML', async (_what, body) => {
      for (const depth of ['0', '1']) {
        const res = await propfind('/dir/', body, depth);
        expect(res.status).toBe(207);
        expect(readMultistatus(res.body)).toHaveLength(depth === '0' ? 1 : 2);
      }
    });

    it('answers Depth infinity 403 with DAV:propfind-finite-depth, and a body that is no propfind 400', async () => {
      const infinite = await propfind('/', '', 'infinity');
      expect(infinite.status).toBe(403);
      expect(infinite.body.toString()).toContain('propfind-finite-depth');
      expect((await propfind('/', '<D:propertyupdate xmlns:D="DAV:"/>')).status).toBe(400);
    });
  });

  describe('names XML cannot carry', () => {
    const names = [
      'c\u0001d',
      'tab\there',
      'new\nline',
      'esc\u001b[31mred',
      'del\u007f',
      'amp&<>"\'',
      'cr\rx',
      '\uffff',
    ];

    it('lists them in well-formed XML: hrefs percent-encoded, display names with U+FFFD for what XML cannot hold', async () => {
      for (const name of names) await fsp.writeFile(path.join(sandbox.share, 'dir', name), name);
      for (const body of ['', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>']) {
        const responses = readMultistatus((await propfind('/dir/', body, '1')).body);
        const hrefs = responses.map((response) => decodeURIComponent(response.href.split('/').at(-1) ?? ''));
        expect(hrefs.sort()).toEqual(['', 'in.txt', ...names].sort());
      }
      const listed = readMultistatus((await propfind('/dir/', '', '1')).body);
      const displayOf = (name: string) =>
        propertyOf(
          listed.find((response) => decodeURIComponent(response.href.split('/').at(-1) ?? '') === name),
          'DAV:',
          'displayname',
        );
      expect(displayOf('c\u0001d')).toBe('<{DAV:}displayname>c\uFFFDd</>');
      expect(displayOf('tab\there')).toBe('<{DAV:}displayname>tab\there</>');
      expect(displayOf('cr\rx')).toBe('<{DAV:}displayname>cr\rx</>');
      expect(displayOf('amp&<>"\'')).toBe('<{DAV:}displayname>amp&<>"\'</>');
    });

    it('keeps PROPPATCH and LOCK answers on such a name well-formed', async () => {
      const name = 'c\u0001d';
      await fsp.writeFile(path.join(sandbox.share, name), 'x');
      const target = `/${encodeURIComponent(name)}`;
      const patched = await davRequest(engine, {
        method: 'PROPPATCH',
        path: target,
        body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:p>v</Z:p></D:prop></D:set></D:propertyupdate>',
      });
      expect(readMultistatus(patched.body)[0]?.href).toBe(target);
      const locked = await davRequest(engine, {
        method: 'LOCK',
        path: target,
        body: '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
      });
      expect(locked.status).toBe(200);
      expect(locked.body.toString()).toContain(`<D:href>${target}</D:href>`);
      const listed = await propfind('/', '', '1');
      expect(readMultistatus(listed.body).length).toBeGreaterThan(1);
    });
  });
});
