import { TreeWalk } from '../../../../src/webdav/methods/tree-walk';

/** A tree as nested objects: a name maps to its subtree (a folder) or null (a file). */
type Tree = { readonly [name: string]: Tree | null };

function walkAll(tree: Tree): string[] {
  const seen: string[] = [];
  const walk = new TreeWalk(Buffer.from('/top'));
  const folders = new Map<string, Tree>([['/top', tree]]);
  for (let entry = walk.next(); entry !== undefined; entry = walk.next()) {
    const path = entry.toString();
    seen.push(path);
    const folder = folders.get(path);
    if (folder === undefined) continue;
    for (const [name, sub] of Object.entries(folder)) if (sub !== null) folders.set(`${path}/${name}`, sub);
    walk.enter(entry, Object.keys(folder));
  }
  return seen;
}

describe('TreeWalk', () => {
  it('gives every entry once, the top first, each folder before what is in it', () => {
    const seen = walkAll({ a: { x: null, y: { deep: null } }, b: null, c: {} });
    expect([...seen].sort()).toEqual([
      '/top',
      '/top/a',
      '/top/a/x',
      '/top/a/y',
      '/top/a/y/deep',
      '/top/b',
      '/top/c',
    ]);
    expect(seen[0]).toBe('/top');
    expect(seen.indexOf('/top/a')).toBeLessThan(seen.indexOf('/top/a/y'));
    expect(seen.indexOf('/top/a/y')).toBeLessThan(seen.indexOf('/top/a/y/deep'));
  });

  it('gives the top alone when nothing is entered', () => {
    const walk = new TreeWalk(Buffer.from('/top'));
    expect(walk.next()?.toString()).toBe('/top');
    expect(walk.next()).toBeUndefined();
  });

  it('keeps names, not paths: a folder thousands deep walks through', () => {
    let tree: Tree = { leaf: null };
    for (let i = 0; i < 3000; i++) tree = { d: tree };
    const seen = walkAll(tree);
    expect(seen).toHaveLength(3002);
    expect(seen.at(-1)).toBe(`/top${'/d'.repeat(3000)}/leaf`);
  });

  it('takes names as the bytes on disk', () => {
    const walk = new TreeWalk(Buffer.from('/top'));
    walk.next();
    walk.enter(Buffer.from('/top'), [Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('latin1')]); // "café" in Latin-1
    expect(walk.next()).toEqual(Buffer.from([...Buffer.from('/top/'), 0x63, 0x61, 0x66, 0xe9]));
  });
});
