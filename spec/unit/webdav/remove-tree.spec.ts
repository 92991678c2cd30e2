import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { directFileCalls, poolFileCalls, type FileCalls } from '../../../src/webdav/file-calls';
import { CALLS_PER_TURN, removeTree } from '../../../src/webdav/remove-tree';
import { makeSandbox, type Sandbox } from './support/temp-share';

let sandbox: Sandbox;
const inShare = (...names: string[]) => path.join(sandbox.share, ...names);

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(() => sandbox.remove());

// DELETE's call: removeTree on the event loop, Node's recursive rm through the pool.
describe.each([
  ['through the thread pool', poolFileCalls],
  ['on the event loop', directFileCalls],
] as Array<[string, FileCalls]>)('removeFolder %s', (_, calls) => {
  it('removes files, nested and empty folders, and links without following them', async () => {
    mkdirSync(inShare('tree', 'a', 'b', 'c'), { recursive: true });
    mkdirSync(inShare('tree', 'empty'));
    writeFileSync(inShare('tree', 'top.txt'), 'x');
    writeFileSync(inShare('tree', 'a', 'b', 'c', 'deep.txt'), 'x');
    writeFileSync(path.join(sandbox.outside, 'kept.txt'), 'outside');
    symlinkSync(sandbox.outside, inShare('tree', 'a', 'to-outside-folder'));
    symlinkSync(path.join(sandbox.outside, 'kept.txt'), inShare('tree', 'a', 'b', 'to-outside-file'));
    symlinkSync(inShare('nowhere'), inShare('tree', 'dangling'));
    writeFileSync(inShare('sibling.txt'), 'stays');

    await calls.removeFolder(inShare('tree'));

    expect(existsSync(inShare('tree'))).toBe(false);
    expect(readdirSync(sandbox.share)).toEqual(['sibling.txt']);
    expect(readdirSync(sandbox.outside)).toEqual(['kept.txt']);
    await expect(calls.removeFolder(inShare('tree'))).resolves.toBeUndefined(); // gone already
  });

  it('lets the event loop turn while it removes a large folder, and removes it all', async () => {
    const files = CALLS_PER_TURN * 3;
    mkdirSync(inShare('many', 'sub'), { recursive: true });
    for (let i = 0; i < files; i++) writeFileSync(inShare('many', i % 2 === 0 ? 'sub' : '', `f${i}`), '');
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);

    await calls.removeFolder(inShare('many'));
    counting = false;

    expect(existsSync(inShare('many'))).toBe(false);
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});

describe('removeTree', () => {
  it('rejects with the error that stopped it, leaving what it could not remove', async () => {
    mkdirSync(inShare('tree'));
    writeFileSync(inShare('tree', 'a.txt'), 'x');

    await expect(removeTree(inShare('tree', 'a.txt'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(removeTree(inShare('missing'))).resolves.toBeUndefined();
    expect(existsSync(inShare('tree', 'a.txt'))).toBe(true);
  });
});
