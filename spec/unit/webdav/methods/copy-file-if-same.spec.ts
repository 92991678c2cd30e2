import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyFileIfSame } from '../../../../src/webdav/methods/copy-file-if-same';
import { makeSandbox, type Sandbox } from '../support/temp-share';

/**
 * What a COPY does with each file it walked, when the host changed that file between the walk (its lstat) and
 * the copy. A FIFO swapped in used to block the copy, and with it the whole share, for good.
 */
describe('copyFileIfSame', () => {
  let sandbox: Sandbox;
  const inShare = (name: string) => path.join(sandbox.share, name);
  const copyTo = (name: string) => Buffer.from(inShare(name));

  beforeEach(() => {
    sandbox = makeSandbox();
    writeFileSync(inShare('a.txt'), 'alpha');
  });

  afterEach(() => sandbox.remove());

  it('copies the file it walked', async () => {
    const seen = lstatSync(inShare('a.txt'));
    expect(await copyFileIfSame(Buffer.from(inShare('a.txt')), copyTo('b.txt'), seen, sandbox.share)).toBe(
      true,
    );
    expect(readFileSync(inShare('b.txt'), 'utf8')).toBe('alpha');
  });

  it('skips a FIFO swapped in for the file, without blocking on it', async () => {
    const seen = lstatSync(inShare('a.txt'));
    renameSync(inShare('a.txt'), path.join(sandbox.outside, 'a.txt'));
    execFileSync('mkfifo', [inShare('a.txt')]);
    expect(await copyFileIfSame(Buffer.from(inShare('a.txt')), copyTo('b.txt'), seen, sandbox.share)).toBe(
      false,
    );
    expect(existsSync(inShare('b.txt'))).toBe(false);
  });

  it('skips a link swapped in, and another file under the same name', async () => {
    writeFileSync(path.join(sandbox.outside, 'secret'), 'secret');
    const seen = lstatSync(inShare('a.txt'));
    renameSync(inShare('a.txt'), path.join(sandbox.outside, 'a.txt'));
    symlinkSync(path.join(sandbox.outside, 'secret'), inShare('a.txt'));
    expect(await copyFileIfSame(Buffer.from(inShare('a.txt')), copyTo('b.txt'), seen, sandbox.share)).toBe(
      false,
    );
    execFileSync('rm', [inShare('a.txt')]);
    writeFileSync(inShare('a.txt'), 'another file');
    expect(await copyFileIfSame(Buffer.from(inShare('a.txt')), copyTo('b.txt'), seen, sandbox.share)).toBe(
      false,
    );
    expect(existsSync(inShare('b.txt'))).toBe(false);
  });

  it('skips a file reached outside the share through a folder swapped for a link', async () => {
    writeFileSync(path.join(sandbox.outside, 'a.txt'), 'secret');
    const seen = lstatSync(path.join(sandbox.outside, 'a.txt'));
    symlinkSync(sandbox.outside, inShare('swapped'));
    const from = Buffer.from(path.join(inShare('swapped'), 'a.txt'));
    expect(await copyFileIfSame(from, copyTo('b.txt'), seen, sandbox.share)).toBe(false);
    expect(existsSync(inShare('b.txt'))).toBe(false);
  });

  it('skips a file removed meanwhile', async () => {
    const seen = lstatSync(inShare('a.txt'));
    execFileSync('rm', [inShare('a.txt')]);
    expect(await copyFileIfSame(Buffer.from(inShare('a.txt')), copyTo('b.txt'), seen, sandbox.share)).toBe(
      false,
    );
  });
});
