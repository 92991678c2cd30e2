import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { holdsHiddenEntries } from '../../../../src/webdav/methods/hidden-entries';
import { CALLS_PER_TURN, loopTreeCalls, poolTreeCalls } from '../../../../src/webdav/remove-tree';
import { makeSandbox, type Sandbox } from '../support/temp-share';

/**
 * The check a DELETE, or a COPY or MOVE that replaces a folder, makes before anything changes: does the folder
 * hold, anywhere below, a FIFO, socket or device the guest is never shown? The same answers with either form
 * of the share's tree calls; on the event loop, other work is served while a large tree is read.
 */
describe.each([
  ['on the event loop', loopTreeCalls],
  ['through the thread pool', poolTreeCalls],
])('holdsHiddenEntries, %s', (_, tree) => {
  let sandbox: Sandbox;
  let top: string;

  beforeEach(() => {
    sandbox = makeSandbox();
    top = path.join(sandbox.share, 'top');
    for (const folder of ['a/b/c', 'd']) mkdirSync(path.join(top, folder), { recursive: true });
    writeFileSync(path.join(top, 'a/b/c/file'), 'x');
    writeFileSync(path.join(top, 'd/file'), 'y');
  });

  afterEach(() => sandbox.remove());

  it('is false for a tree of files and folders', async () => {
    await expect(holdsHiddenEntries(top, tree)).resolves.toBe(false);
  });

  it('finds a FIFO three folders down', async () => {
    execFileSync('mkfifo', [path.join(top, 'a/b/c/pipe')]);
    await expect(holdsHiddenEntries(top, tree)).resolves.toBe(true);
  });

  it('is false for a folder removed meanwhile: it holds nothing', async () => {
    rmSync(top, { recursive: true });
    await expect(holdsHiddenEntries(top, tree)).resolves.toBe(false);
  });

  it('lets the event loop turn while it reads a large tree', async () => {
    const wide = path.join(top, 'd');
    for (let i = 0; i < 3 * CALLS_PER_TURN; i++) writeFileSync(path.join(wide, `f${i}`), '');
    let turned = false;
    setImmediate(() => (turned = true));
    let sawTurn = false;
    const checked = holdsHiddenEntries(top, tree).then((hidden) => {
      sawTurn = turned;
      return hidden;
    });
    await expect(checked).resolves.toBe(false);
    expect(sawTurn).toBe(true);
  });
});
