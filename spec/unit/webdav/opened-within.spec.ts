import { closeSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { openedWithin } from '../../../src/webdav/opened-within';
import { makeSandbox, type Sandbox } from './support/temp-share';

describe('openedWithin', () => {
  let sandbox: Sandbox;
  const opened: number[] = [];
  const open = (file: string) => {
    const fd = openSync(file, 'r');
    opened.push(fd);
    return fd;
  };

  beforeEach(() => {
    sandbox = makeSandbox();
    writeFileSync(path.join(sandbox.share, 'in.txt'), 'in');
    writeFileSync(path.join(sandbox.outside, 'secret'), 'secret');
    writeFileSync(path.join(sandbox.evil, 'near'), 'near');
  });

  afterEach(() => {
    for (const fd of opened.splice(0)) closeSync(fd);
    sandbox.remove();
  });

  it('knows a file inside the share', () => {
    expect(openedWithin(sandbox.share, open(path.join(sandbox.share, 'in.txt')))).toBe(true);
  });

  it('knows a file outside, also one whose path starts like the share', () => {
    expect(openedWithin(sandbox.share, open(path.join(sandbox.outside, 'secret')))).toBe(false);
    expect(openedWithin(sandbox.share, open(path.join(sandbox.evil, 'near')))).toBe(false);
  });

  it('knows a file reached through a folder the host swapped for a link to elsewhere', () => {
    symlinkSync(sandbox.outside, path.join(sandbox.share, 'swapped'));
    expect(openedWithin(sandbox.share, open(path.join(sandbox.share, 'swapped', 'secret')))).toBe(false);
  });
});
