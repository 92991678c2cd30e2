import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { directFileCalls, poolFileCalls, type FileCalls } from '../../../../src/webdav/file-calls';
import type { Location } from '../../../../src/webdav/path-confinement';
import { answerPropfind } from '../../../../src/webdav/propfind/answer-propfind';
import { ShareNamespace } from '../../../../src/webdav/share-namespace';
import { confinedVisibleStats } from '../../../../src/webdav/visibility';
import { readMultistatus } from '../support/multistatus';
import { makeSandbox, type Sandbox } from '../support/temp-share';

// A program on the host swaps the share's folder `d` for a link to a folder outside the share while a
// PROPFIND looks `d/a.txt` up. The lookup's lstat follows the folders before the last name as they are at that
// moment, its realpath of the folder is another call: with the swap between the two, the lookup holds the
// outside file's stats for a path inside the share (the known gap of docs/security.md, session 29). What the
// answer shows of the resource is read again through a descriptor the kernel names inside the share.

let sandbox: Sandbox;
let share: string;
let server: Server | undefined;

const OUTSIDE_BYTES = 4321;
const OUTSIDE_TIME = new Date('2001-02-03T04:05:06Z');

beforeEach(() => {
  sandbox = makeSandbox();
  share = realpathSync(sandbox.share);
  mkdirSync(path.join(share, 'd'));
  writeFileSync(path.join(share, 'd', 'a.txt'), 'inside');
  writeFileSync(path.join(sandbox.outside, 'a.txt'), Buffer.alloc(OUTSIDE_BYTES, 'x'));
  utimesSync(path.join(sandbox.outside, 'a.txt'), OUTSIDE_TIME, OUTSIDE_TIME);
});

afterEach(async () => {
  const closing = server;
  server = undefined;
  if (closing !== undefined) await new Promise((resolve) => closing.close(resolve));
  sandbox.remove();
});

/** The host's swap: `d` set aside, a link to the outside folder in its place. */
function swapFolder(): void {
  renameSync(path.join(share, 'd'), path.join(share, 'd-moved'));
  symlinkSync(sandbox.outside, path.join(share, 'd'));
}

/** A PROPFIND Depth 0 of `segments`, answered with `locate` as the share's lookup; status and body. */
async function propfind(
  segments: readonly string[],
  locate: (segments: readonly string[]) => Promise<Location>,
  calls: FileCalls = directFileCalls,
): Promise<{ status: number; body: string }> {
  server = createServer((_req, res) => {
    void answerPropfind(
      {
        rootReal: share,
        segments,
        headers: { depth: '0' },
        request: { kind: 'allprop', include: [] },
        locate,
        calls,
      },
      res,
    );
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PROPFIND', path: '/', headers: { Depth: '0' } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The text of a live property of the only response in a multistatus. */
function property(body: string, name: string): string | undefined {
  const [response] = readMultistatus(body);
  for (const propstat of response?.propstats ?? [])
    for (const prop of propstat.props)
      if (prop.local === name)
        return prop.children.map((child) => ('text' in child ? child.text : '')).join('');
  return undefined;
}

describe('a PROPFIND whose lookup went through a folder the host swapped', () => {
  it.each([
    ['on the event loop', directFileCalls],
    ['through the thread pool', poolFileCalls],
  ])('shows the inside file, not the outside stats the lookup read (%s)', async (_how, calls) => {
    // What the race leaves the lookup with: the folder's realpath inside, the leaf's lstat from outside.
    const raced: Location = {
      kind: 'inside',
      real: path.join(share, 'd', 'a.txt'),
      entry: path.join(share, 'd', 'a.txt'),
      exists: true,
      stats: lstatSync(path.join(sandbox.outside, 'a.txt')),
    };
    const { status, body } = await propfind(['d', 'a.txt'], () => Promise.resolve(raced), calls);

    expect(status).toBe(207);
    expect(property(body, 'getcontentlength')).toBe('6');
    expect(property(body, 'getlastmodified')).not.toBe(OUTSIDE_TIME.toUTCString());
    expect(body).not.toContain(String(OUTSIDE_BYTES));
  });

  it('answers 404 while the name leads outside, with nothing of the outside file', async () => {
    const namespace = new ShareNamespace(share);
    const { status, body } = await propfind(['d', 'a.txt'], async (segments) => {
      const location = await namespace.locate(segments); // looked up inside, then the host swaps
      swapFolder();
      return location;
    });

    expect(status).toBe(404);
    expect(body).not.toContain(String(OUTSIDE_BYTES));
    expect(body).not.toContain(OUTSIDE_TIME.toUTCString());
  });
});

describe('confinedVisibleStats', () => {
  it("gives a file's and the root's own stats", async () => {
    const file = await confinedVisibleStats(share, path.join(share, 'd', 'a.txt'), directFileCalls);
    expect(file?.size).toBe(6);
    expect(file?.ino).toBe(lstatSync(path.join(share, 'd', 'a.txt')).ino);
    const root = await confinedVisibleStats(share, share, directFileCalls);
    expect(root?.isDirectory()).toBe(true);
  });

  it('refuses a path that leads outside through a link, and a name that is gone', async () => {
    swapFolder();
    expect(
      await confinedVisibleStats(share, path.join(share, 'd', 'a.txt'), directFileCalls),
    ).toBeUndefined();
    expect(await confinedVisibleStats(share, path.join(share, 'gone.txt'), poolFileCalls)).toBeUndefined();
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = path.join(share, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(await confinedVisibleStats(share, fifo, directFileCalls)).toBeUndefined();
  });
});
