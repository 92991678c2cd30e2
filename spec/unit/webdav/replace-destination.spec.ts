import { linkSync, mkdirSync, promises, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest } from './support/dav-client';
import { makeSandbox, manifest, writeFiles, type Sandbox } from './support/temp-share';

/**
 * COPY and MOVE with Overwrite: T replace the destination only when the rename that puts the new entry there
 * succeeds. A MOVE to another file system inside the share (a mount point below it: EXDEV, answered 502)
 * used to remove the destination first and then fail, so the guest lost what it meant to replace and kept
 * nothing in its place. EXDEV is injected here (a second file system needs root to mount).
 */
describe('replacing a destination with COPY and MOVE', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, {
      'source.txt': 'new',
      'source-folder/inner.txt': 'new inner',
      'dest.txt': 'precious',
      'dest-folder/kept.txt': 'precious inner',
    });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  /** Every rename of `source`'s entry fails as one to another file system does. */
  function renamesOfSourceCrossDevices(source: string): void {
    const rename = promises.rename.bind(promises);
    jest
      .spyOn(promises, 'rename')
      .mockImplementation((from, to) =>
        path.basename(String(from)) === source
          ? Promise.reject(
              Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' }),
            )
          : rename(from, to),
      );
  }

  const move = (from: string, to: string) =>
    davRequest(engine, { method: 'MOVE', path: from, headers: { Destination: to, Overwrite: 'T' } });

  it.each([
    ['a file over a file', '/source.txt', '/dest.txt'],
    ['a file over a folder', '/source.txt', '/dest-folder'],
    ['a folder over a file', '/source-folder', '/dest.txt'],
    ['a folder over a folder', '/source-folder', '/dest-folder'],
  ])('a MOVE of %s that cannot rename leaves both as they were', async (_, from, to) => {
    const before = manifest(sandbox.share);
    renamesOfSourceCrossDevices(path.basename(from));
    const res = await move(from, to);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(manifest(sandbox.share)).toEqual(before);
  });

  it.each([
    ['a file over a folder', '/source.txt', '/dest-folder', 'new'],
    ['a folder over a folder', '/source-folder', '/dest-folder', undefined],
  ])('a MOVE of %s that can rename replaces it and leaves no hidden entry', async (_, from, to, content) => {
    expect((await move(from, to)).status).toBe(204);
    const moved = await davRequest(engine, {
      method: 'GET',
      path: content === undefined ? `${to}/inner.txt` : to,
    });
    expect(moved.body.toString()).toBe(content ?? 'new inner');
    expect(readdirSync(sandbox.share).sort()).toEqual(
      ['dest-folder', 'dest.txt', 'source-folder', 'source.txt'].filter((name) => `/${name}` !== from),
    );
  });

  // rename(2) of a name onto a hard link of the same file does nothing and succeeds: the source stayed.
  it('a MOVE onto a hard link of the source leaves only the destination', async () => {
    writeFileSync(path.join(sandbox.share, 'linked.txt'), 'one file, two names');
    linkSync(path.join(sandbox.share, 'linked.txt'), path.join(sandbox.share, 'other-name.txt'));
    expect((await move('/linked.txt', '/other-name.txt')).status).toBe(204);
    const names = readdirSync(sandbox.share);
    expect(names).not.toContain('linked.txt');
    expect((await davRequest(engine, { method: 'GET', path: '/other-name.txt' })).body.toString()).toBe(
      'one file, two names',
    );
    expect(names.filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('a COPY over a folder replaces it whole', async () => {
    mkdirSync(path.join(sandbox.share, 'dest-folder', 'deeper'));
    const res = await davRequest(engine, {
      method: 'COPY',
      path: '/source-folder',
      headers: { Destination: '/dest-folder', Overwrite: 'T' },
    });
    expect(res.status).toBe(204);
    expect(readdirSync(path.join(sandbox.share, 'dest-folder'))).toEqual(['inner.txt']);
    expect(readdirSync(sandbox.share).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
