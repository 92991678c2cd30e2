import { mkdirSync, promises as fsp, readdirSync, statSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { directFileCalls, poolFileCalls } from '../../../src/webdav/file-calls';
import { davRequest } from './support/dav-client';
import { makeSandbox, manifest, writeFiles, type Sandbox } from './support/temp-share';
import { tempFilesBelow } from './support/temp-files';

/**
 * Issue 11 §1, as an attacker: one connection renames a link's folder (or the link itself) back and forth so
 * that the link means "inside" at one moment and "outside" the next, while other connections PUT through it.
 * The check and the use must not be separable by the guest's own requests.
 */
const ROUNDS = 60;
const PUTS_PER_ROUND = 4;

describe('renames racing writes through a relative link', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'A/P/keep.txt': 'keep', 'sub/keep.txt': 'keep' });
    symlinkSync('../..', path.join(sandbox.share, 'A', 'P', 'up')); // the share root, from where it lies
    symlinkSync('..', path.join(sandbox.share, 'sub', 'up')); // the share root, from where it lies
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  /** The share's parent holds only what the sandbox made; outside/ and share-evil/ are untouched. */
  function expectNothingOutside() {
    expect(readdirSync(sandbox.base).sort()).toEqual(['outside', 'share', 'share-evil']);
    expect(manifest(sandbox.outside)).toEqual([]);
    expect(manifest(sandbox.evil)).toEqual([]);
    expect(tempFilesBelow(sandbox.base)).toEqual([]);
  }

  async function race(moves: readonly [string, string][], putTargets: (round: number) => string[]) {
    const statuses = new Set<number>();
    const mover = async () => {
      for (let round = 0; round < ROUNDS; round++)
        for (const [from, to] of moves) {
          const res = await davRequest(engine, { method: 'MOVE', path: from, headers: { Destination: to } });
          statuses.add(res.status);
        }
    };
    const putter = async (lane: number) => {
      for (let round = 0; round < ROUNDS; round++)
        for (const target of putTargets(round))
          await davRequest(engine, {
            method: 'PUT',
            path: target.replace('N', `${lane}-${round}`),
            body: 'x',
          });
    };
    await Promise.all([mover(), ...Array.from({ length: PUTS_PER_ROUND }, (_, lane) => putter(lane))]);
    return statuses;
  }

  it("moving the link's folder to another depth and back never lets a PUT through the link land outside", async () => {
    await race(
      [
        ['/A/P', '/P'],
        ['/P', '/A/P'],
      ],
      () => ['/A/P/up/pwned-N.txt', '/P/up/pwned-N.txt'],
    );
    expectNothingOutside();
  });

  // A small body (Content-Length) is placed in one locked section; a chunked one streams between two.
  it.each([
    ['small', {}],
    ['streamed', { 'Transfer-Encoding': 'chunked' }],
  ])(
    '%s uploads racing renames of their folder land where they were asked or get 409, never leave a temp file',
    async (_framing, headers) => {
      await writeFiles(sandbox.share, { 'D/keep.txt': 'keep' });
      const statuses = new Set<number>();
      const mover = async () => {
        for (let round = 0; round < ROUNDS; round++)
          for (const [from, to] of [
            ['/D', '/E'],
            ['/E', '/D'],
          ] as const)
            await davRequest(engine, { method: 'MOVE', path: from, headers: { Destination: to } });
      };
      const putter = async (lane: number) => {
        for (let round = 0; round < ROUNDS; round++) {
          const res = await davRequest(engine, {
            method: 'PUT',
            path: `/D/f-${lane}-${round}.txt`,
            headers,
            body: 'x',
          });
          statuses.add(res.status);
        }
      };
      await Promise.all([mover(), ...Array.from({ length: PUTS_PER_ROUND }, (_, lane) => putter(lane))]);
      expectNothingOutside();
      expect([...statuses].every((status) => [201, 409].includes(status))).toBe(true);
      expect(readdirSync(sandbox.share).filter((name) => name.startsWith('f-'))).toEqual([]);
    },
  );

  it('moving the link itself to the top level never lets a PUT through it land outside', async () => {
    const statuses = await race(
      [
        ['/sub/up', '/up'],
        ['/up', '/sub/up'],
      ],
      () => ['/up/pwned-N.txt', '/sub/up/ok-N.txt'],
    );
    expectNothingOutside();
    expect(statuses.has(201)).toBe(false); // a link is never moved
  });
});

describe('a folder made on the host at the name of an upload, between the check and the rename', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  it.each([
    ['small', 'x'],
    ['streamed', 'x'.repeat(200 * 1024)],
  ])(
    'answers a %s PUT 409 (rename onto a folder: EISDIR), not 500, and leaves no temp file',
    async (_, body) => {
      const target = path.join(sandbox.share, 'late.txt');
      // Every form of rename the upload may use: the file calls' (small) and fs.promises' (streamed).
      const hostMakesFolder = () => mkdirSync(target, { recursive: true });
      for (const calls of [directFileCalls, poolFileCalls]) {
        const rename = calls.rename.bind(calls);
        jest.spyOn(calls, 'rename').mockImplementation((from, to) => {
          hostMakesFolder();
          return rename(from, to);
        });
      }
      const promisesRename = fsp.rename.bind(fsp);
      jest.spyOn(fsp, 'rename').mockImplementation((from, to) => {
        hostMakesFolder();
        return promisesRename(from, to);
      });

      const res = await davRequest(engine, { method: 'PUT', path: '/late.txt', body });

      expect(res.status).toBe(409);
      expect(statSync(target).isDirectory()).toBe(true);
      expect(tempFilesBelow(sandbox.share)).toEqual([]);
    },
  );
});
