import { mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scanForMove, scanTree } from '../../../../src/webdav/methods/tree-scan';
import { freshTempName } from '../../../../src/webdav/share-temp-files';
import { makeSandbox, writeFiles, type Sandbox } from '../support/temp-share';

// MOVE's check of a folder, from the types readdir reports: the same answers as scanTree (lstat of every
// entry) where the two overlap, at a fraction of the calls.

let sandbox: Sandbox;
const inShare = (...names: string[]) => path.join(sandbox.share, ...names);
const budget = (maxEntries = 1000, cancelled = () => false) => ({ maxEntries, cancelled });

beforeEach(async () => {
  sandbox = makeSandbox();
  await writeFiles(sandbox.share, { 'tree/a.txt': 'x', 'tree/sub/deeper/b.txt': 'x', 'tree/sub/c.txt': 'x' });
});
afterEach(() => sandbox.remove());

describe('scanForMove', () => {
  it('counts the entries and the longest path below the top as scanTree does, without our temp files', async () => {
    writeFileSync(inShare('tree', 'sub', freshTempName()), 'upload in progress');
    const byTypes = await scanForMove(inShare('tree'), budget());
    expect(byTypes).toEqual({ kind: 'fits', entries: 6, bytes: 0, longest: '/sub/deeper/b.txt'.length });
    const byLstat = await scanTree(inShare('tree'), true, { ...budget(), maxBytes: Infinity });
    expect(byLstat).toMatchObject({ entries: 6, longest: '/sub/deeper/b.txt'.length });
  });

  it('stops at a link anywhere below, to a file or a folder, dangling or not', async () => {
    for (const [target, at] of [
      [sandbox.outside, ['tree', 'sub', 'deeper', 'out']],
      [inShare('tree', 'a.txt'), ['tree', 'sub', 'inner']],
      [inShare('nowhere'), ['tree', 'dangling']],
    ] as const) {
      symlinkSync(target, inShare(...at));
      expect(await scanForMove(inShare('tree'), budget())).toEqual({ kind: 'link', at: inShare(...at) });
      unlinkSync(inShare(...at));
    }
  });

  it('stops at the entry budget, counting the top', async () => {
    expect(await scanForMove(inShare('tree'), budget(6))).toMatchObject({ kind: 'fits', entries: 6 });
    expect(await scanForMove(inShare('tree'), budget(5))).toEqual({ kind: 'over-budget' });
  });

  it('stops when the guest goes away', async () => {
    mkdirSync(inShare('tree', 'many'));
    for (let i = 0; i < 100; i++) writeFileSync(inShare('tree', 'many', `f${i}`), '');
    let checks = 0;
    expect(
      await scanForMove(
        inShare('tree'),
        budget(1000, () => ++checks > 20),
      ),
    ).toEqual({ kind: 'cancelled' });
    expect(checks).toBe(21);
  });
});
