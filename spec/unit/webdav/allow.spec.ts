import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { METHOD_TABLE } from '../../../src/webdav/method-table';
import { createMultiShareEngine } from '../../../src/webdav/multi-share';
import { davRequest, type DavRequest } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

const LOCK_BODY =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype></D:lockinfo>';

/** Paths of a share holding `dir/` and `dir/file.txt`, one per kind of resource. */
const TARGETS = { root: '/', folder: '/dir/', file: '/dir/file.txt', missing: '/dir/new' } as const;

type TargetKind = keyof typeof TARGETS;

/** The Allow header of each kind of resource, read-write and read-only (RFC 9110 §10.2.1). */
const EXPECTED_ALLOW: Record<'read-write' | 'read-only', Record<TargetKind, string>> = {
  'read-write': {
    root: 'OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, LOCK, UNLOCK',
    folder: 'OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, DELETE, COPY, MOVE, LOCK, UNLOCK',
    file: 'OPTIONS, GET, HEAD, PROPFIND, PUT, PROPPATCH, DELETE, COPY, MOVE, LOCK, UNLOCK',
    missing: 'OPTIONS, PUT, MKCOL, LOCK',
  },
  'read-only': {
    root: 'OPTIONS, GET, HEAD, PROPFIND',
    folder: 'OPTIONS, GET, HEAD, PROPFIND',
    file: 'OPTIONS, GET, HEAD, PROPFIND',
    missing: 'OPTIONS',
  },
};

const MODES = [
  ['read-write', false],
  ['read-only', true],
] as const;

const CASES = MODES.flatMap(([mode, readOnly]) =>
  (Object.keys(TARGETS) as TargetKind[]).map((kind) => [mode, kind, readOnly] as const),
);

/** A request for `method` that would succeed where the method applies (a body, a Destination, a token). */
function requestFor(method: string, target: string): DavRequest {
  const headers: Record<string, string> = { Destination: '/elsewhere' };
  if (method === 'UNLOCK') headers['Lock-Token'] = '<urn:uuid:00000000-0000-0000-0000-000000000000>';
  const body = method === 'LOCK' ? LOCK_BODY : method === 'PUT' ? 'content' : undefined;
  return { method, path: target, headers, body };
}

describe('Allow (one dispatch table for every method)', () => {
  let sandbox: Sandbox;
  const engines: WebdavEngine[] = [];

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'dir/file.txt': 'hello' });
  });

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
    sandbox.remove();
  });

  async function engineFor(readOnly: boolean): Promise<WebdavEngine> {
    const engine = await createWebdavEngine({ root: sandbox.share, readOnly });
    engines.push(engine);
    return engine;
  }

  it.each(CASES)('OPTIONS on a %s share lists what a %s accepts', async (mode, kind, readOnly) => {
    const answer = await davRequest(await engineFor(readOnly), { method: 'OPTIONS', path: TARGETS[kind] });
    expect([answer.status, answer.headers.allow]).toEqual([200, EXPECTED_ALLOW[mode][kind]]);
  });

  it('OPTIONS says which DAV classes the engine speaks', async () => {
    const answer = await davRequest(await engineFor(false), { method: 'OPTIONS', path: '/' });
    expect([answer.headers.dav, answer.headers['ms-author-via']]).toEqual(['1,2', 'DAV']);
  });

  it.each(CASES)(
    'on a %s share, every method a %s does not list is refused',
    async (_mode, kind, readOnly) => {
      const allowed = (
        await davRequest(await engineFor(readOnly), { method: 'OPTIONS', path: TARGETS[kind] })
      ).headers.allow;
      const refused = METHOD_TABLE.map((spec) => spec.method).filter(
        (method) => !String(allowed).split(', ').includes(method),
      );
      for (const method of refused) {
        const engine = await engineFor(readOnly);
        const answer = await davRequest(engine, requestFor(method, TARGETS[kind]));
        expect({ method, status: [403, 404, 405].includes(answer.status) }).toEqual({ method, status: true });
      }
    },
  );

  it.each(CASES)(
    'on a %s share, no method a %s lists is refused as not applying',
    async (_mode, kind, readOnly) => {
      const allowed = String(
        (await davRequest(await engineFor(readOnly), { method: 'OPTIONS', path: TARGETS[kind] })).headers
          .allow,
      );
      for (const method of allowed.split(', ')) {
        const fresh = makeSandbox();
        try {
          mkdirSync(path.join(fresh.share, 'dir'));
          writeFileSync(path.join(fresh.share, 'dir', 'file.txt'), 'hello');
          const engine = await createWebdavEngine({ root: fresh.share, readOnly });
          engines.push(engine);
          const answer = await davRequest(engine, requestFor(method, TARGETS[kind]));
          expect({ method, status: [403, 404, 405].includes(answer.status) }).toEqual({
            method,
            status: false,
          });
        } finally {
          fresh.remove();
        }
      }
    },
  );

  it('answers a 405 with the Allow of the resource (MKCOL where a file exists)', async () => {
    const answer = await davRequest(await engineFor(false), { method: 'MKCOL', path: '/dir/file.txt' });
    expect([answer.status, answer.headers.allow]).toEqual([405, EXPECTED_ALLOW['read-write'].file]);
  });

  it('answers POST with 405 and the Allow of the resource', async () => {
    const answer = await davRequest(await engineFor(false), {
      method: 'POST',
      path: '/dir/file.txt',
      body: 'x',
    });
    expect([answer.status, answer.headers.allow]).toEqual([405, EXPECTED_ALLOW['read-write'].file]);
  });

  it('answers a write on a read-only share with 403 and the Allow of the resource', async () => {
    const answer = await davRequest(await engineFor(true), {
      method: 'PUT',
      path: '/dir/file.txt',
      body: 'x',
    });
    expect([answer.status, answer.headers.allow]).toEqual([403, EXPECTED_ALLOW['read-only'].file]);
  });
});

describe('Allow of the mounts of a multi-folder share', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'file.txt': 'hello' });
    await writeFiles(sandbox.outside, { 'file.txt': 'hello' });
    engine = await createMultiShareEngine([
      { name: 'rw', path: sandbox.share, readOnly: false },
      { name: 'ro', path: sandbox.outside, readOnly: true },
    ]);
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it.each([
    ['/', 'OPTIONS, GET, HEAD, PROPFIND'],
    ['/nothing-here', 'OPTIONS'],
    ['/rw/', EXPECTED_ALLOW['read-write'].root],
    ['/rw/file.txt', EXPECTED_ALLOW['read-write'].file],
    ['/ro/', EXPECTED_ALLOW['read-only'].root],
    ['/ro/file.txt', EXPECTED_ALLOW['read-only'].file],
  ])('OPTIONS %s lists %s', async (target, allow) => {
    const answer = await davRequest(engine, { method: 'OPTIONS', path: target });
    expect([answer.status, answer.headers.allow]).toEqual([200, allow]);
  });

  it.each(['PUT', 'MKCOL', 'DELETE', 'PROPPATCH', 'LOCK'])(
    'refuses %s of the virtual root with 403 and its Allow',
    async (method) => {
      const answer = await davRequest(engine, {
        method,
        path: '/',
        body: method === 'LOCK' ? LOCK_BODY : undefined,
      });
      expect([answer.status, answer.headers.allow]).toEqual([403, 'OPTIONS, GET, HEAD, PROPFIND']);
    },
  );
});
