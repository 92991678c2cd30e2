import { mkdtempSync, promises as fsp, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { SpaceOfFileSystems } from '../../../../src/webdav/propfind/quota-properties';
import { davRequest } from '../support/dav-client';
import { propertyOf, readMultistatus, type ResponseView } from '../support/multistatus';
import { makeSandbox, writeFiles, type Sandbox } from '../support/temp-share';

/** What gvfs sends for `gio info -f` (the two RFC 4331 properties, Depth 0). */
const QUOTA_PROPFIND =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>' +
  '<D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>';

/**
 * available + used is the same whatever else writes to the disk meanwhile (other tests run in parallel):
 * (blocks - bfree + bavail) * bsize, the size less the blocks reserved for root.
 */
async function sizeSeenByUsers(folder: string): Promise<bigint> {
  const figures = await fsp.statfs(folder, { bigint: true });
  return (figures.blocks - figures.bfree + figures.bavail) * figures.bsize;
}

function quotaOf(response: ResponseView | undefined): { available: bigint; used: bigint } {
  const read = (local: string) => {
    const canonical = propertyOf(response, 'DAV:', local);
    const digits = /^<\{DAV:\}[a-z-]+>(\d+)<\/>$/u.exec(canonical ?? '')?.[1];
    if (digits === undefined) throw new Error(`no ${local} in ${JSON.stringify(response)}`);
    return BigInt(digits);
  };
  return { available: read('quota-available-bytes'), used: read('quota-used-bytes') };
}

describe('RFC 4331 quota properties', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'file.txt': 'x', 'dir/in.txt': 'in' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const propfind = async (target: string, body: string, depth = '0') => {
    const res = await davRequest(engine, {
      method: 'PROPFIND',
      path: target,
      headers: { Depth: depth },
      body,
    });
    expect(res.status).toBe(207);
    return readMultistatus(res.body);
  };

  it('answers the share root with the figures of its file system (as gvfs asks for them)', async () => {
    const [root] = await propfind('/', QUOTA_PROPFIND);
    const { available, used } = quotaOf(root);
    expect(available).toBeGreaterThan(0n);
    expect(used).toBeGreaterThan(0n);
    expect(available + used).toBe(await sizeSeenByUsers(sandbox.share));
  });

  it('answers every collection of a Depth 1 listing, and 404 for files', async () => {
    const listing = await propfind('/', QUOTA_PROPFIND, '1');
    const dir = listing.find((response) => response.href.endsWith('/dir/'));
    expect(quotaOf(dir).available + quotaOf(dir).used).toBe(await sizeSeenByUsers(sandbox.share));
    const file = listing.find((response) => response.href.endsWith('/file.txt'));
    expect(propertyOf(file, 'DAV:', 'quota-available-bytes', '404')).toBeDefined();
    expect(propertyOf(file, 'DAV:', 'quota-used-bytes', '404')).toBeDefined();
  });

  it('leaves them out of allprop (RFC 4331 §2) but answers them when an allprop includes them', async () => {
    const [plain] = await propfind('/dir/', '');
    expect(propertyOf(plain, 'DAV:', 'quota-available-bytes')).toBeUndefined();
    expect(propertyOf(plain, 'DAV:', 'getlastmodified')).toBeDefined();
    const [included] = await propfind(
      '/dir/',
      '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:quota-used-bytes/></D:include></D:propfind>',
    );
    expect(propertyOf(included, 'DAV:', 'quota-used-bytes')).toMatch(/^<\{DAV:\}quota-used-bytes>\d+<\/>$/u);
    expect(propertyOf(included, 'DAV:', 'getlastmodified')).toBeDefined();
  });

  it('lists their names in propname on collections only (RFC 4331 §2)', async () => {
    const listing = await propfind('/', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>', '1');
    const dir = listing.find((response) => response.href.endsWith('/dir/'));
    expect(propertyOf(dir, 'DAV:', 'quota-available-bytes')).toBe('<{DAV:}quota-available-bytes></>');
    expect(propertyOf(dir, 'DAV:', 'quota-used-bytes')).toBe('<{DAV:}quota-used-bytes></>');
    const file = listing.find((response) => response.href.endsWith('/file.txt'));
    expect(propertyOf(file, 'DAV:', 'quota-used-bytes')).toBeUndefined();
  });

  it('reports the same figures on a read-only share (see quota-properties.ts for why)', async () => {
    const readOnly = await createWebdavEngine({ root: sandbox.share, readOnly: true });
    try {
      const res = await davRequest(readOnly, {
        method: 'PROPFIND',
        path: '/',
        headers: { Depth: '0' },
        body: QUOTA_PROPFIND,
      });
      const { available, used } = quotaOf(readMultistatus(res.body)[0]);
      expect(available).toBeGreaterThan(0n);
      expect(available + used).toBe(await sizeSeenByUsers(sandbox.share));
    } finally {
      await readOnly.close();
    }
  });

  it('costs one statfs for a listing of many folders on one file system, none when not asked', async () => {
    for (let i = 0; i < 40; i++) await fsp.mkdir(path.join(sandbox.share, `sub${i}`));
    const statfs = jest.spyOn(fsp, 'statfs');
    try {
      const listing = await propfind('/', QUOTA_PROPFIND, '1');
      expect(listing.filter((response) => propertyOf(response, 'DAV:', 'quota-used-bytes'))).toHaveLength(42);
      expect(statfs).toHaveBeenCalledTimes(1);
      await propfind('/', '', '1');
      expect(statfs).toHaveBeenCalledTimes(1);
    } finally {
      statfs.mockRestore();
    }
  });

  it('answers a share on another file system with that file system’s figures', async () => {
    const onTmpfs = mkdtempSync('/dev/shm/spice-webdav-quota-');
    const tmpfsEngine = await createWebdavEngine({ root: onTmpfs, readOnly: false });
    try {
      expect(statSync(onTmpfs).dev).not.toBe(statSync(sandbox.share).dev);
      const res = await davRequest(tmpfsEngine, {
        method: 'PROPFIND',
        path: '/',
        headers: { Depth: '0' },
        body: QUOTA_PROPFIND,
      });
      const { available, used } = quotaOf(readMultistatus(res.body)[0]);
      expect(available + used).toBe(await sizeSeenByUsers(onTmpfs));
      expect(available + used).not.toBe(await sizeSeenByUsers(sandbox.share));
    } finally {
      await tmpfsEngine.close();
      rmSync(onTmpfs, { recursive: true, force: true });
    }
  });
});

describe('SpaceOfFileSystems', () => {
  it('measures each file system once, and each one met', async () => {
    const sandbox = makeSandbox();
    const onTmpfs = mkdtempSync('/dev/shm/spice-webdav-quota-');
    const statfs = jest.spyOn(fsp, 'statfs');
    try {
      const spaces = new SpaceOfFileSystems();
      for (const folder of [sandbox.share, sandbox.outside, onTmpfs, sandbox.evil, onTmpfs])
        expect(await spaces.of(folder, statSync(folder))).toBeDefined();
      expect(statfs).toHaveBeenCalledTimes(2);
    } finally {
      statfs.mockRestore();
      rmSync(onTmpfs, { recursive: true, force: true });
      sandbox.remove();
    }
  });

  it('reads a folder gone since it was listed as no figures, not an error', async () => {
    const sandbox = makeSandbox();
    try {
      const stats = statSync(sandbox.share);
      sandbox.remove();
      await expect(new SpaceOfFileSystems().of(sandbox.share, stats)).resolves.toBeUndefined();
    } finally {
      sandbox.remove();
    }
  });
});
