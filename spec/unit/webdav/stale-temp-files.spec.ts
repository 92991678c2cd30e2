import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { ShareNamespace } from '../../../src/webdav/share-namespace';
import { StaleTempFiles } from '../../../src/webdav/stale-temp-files';
import { TempFileRegistry } from '../../../src/webdav/share-temp-files';
import { NamespaceLock } from '../../../src/webdav/namespace-lock';
import { connect, davRequest, statusesIn } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';
import { until } from './support/until';

/**
 * A `kill -9` or a power loss in the middle of an upload leaves its hidden temp file in the share. Listings
 * remove the ones they come across once nothing can still be writing them; nothing else is ever removed.
 */
describe('temp files a crash left behind', () => {
  const HOUR = 60 * 60_000;
  const LEFT = '.spice-webdav-upload-0123456789abcdef01234567';
  const OTHER = '.spice-webdav-upload-89abcdef0123456789abcdef';
  let sandbox: Sandbox;
  let share: string;

  beforeEach(() => {
    sandbox = makeSandbox();
    share = realpathSync(sandbox.share);
  });

  afterEach(() => sandbox.remove());

  /** A sweeper whose clock reads `aheadMs` later than the files' times. */
  function sweeper(options: {
    aheadMs: number;
    readOnly?: boolean;
    temps?: TempFileRegistry;
  }): StaleTempFiles {
    return new StaleTempFiles(new NamespaceLock(), options.temps ?? new TempFileRegistry(), {
      readOnly: options.readOnly ?? false,
      staleAfterMs: HOUR,
      now: () => Date.now() + options.aheadMs,
    });
  }

  async function noticeAll(sweep: StaleTempFiles, ...names: string[]): Promise<void> {
    for (const name of names) sweep.noticed(share, name);
    await sweep.settled();
  }

  it('removes a temp file nothing has changed for longer than the threshold', async () => {
    writeFileSync(path.join(share, LEFT), 'half an upload');
    await noticeAll(sweeper({ aheadMs: 2 * HOUR }), LEFT);
    expect(existsSync(path.join(share, LEFT))).toBe(false);
  });

  it('keeps one changed within the threshold: it may be another process’s upload in progress', async () => {
    writeFileSync(path.join(share, LEFT), 'being written');
    await noticeAll(sweeper({ aheadMs: HOUR / 2 }), LEFT);
    expect(existsSync(path.join(share, LEFT))).toBe(true);
  });

  it('keeps what is not exactly an upload temp file: a folder, a second link, another name', async () => {
    mkdirSync(path.join(share, LEFT)); // a folder a cut MOVE set aside may be the only copy of it
    writeFileSync(path.join(share, 'kept.txt'), 'the guest still has this one');
    linkSync(path.join(share, 'kept.txt'), path.join(share, OTHER));
    const near = '.spice-webdav-upload-notours';
    writeFileSync(path.join(share, near), 'someone else named this');
    await noticeAll(sweeper({ aheadMs: 2 * HOUR }), LEFT, OTHER, near);
    expect(readdirSync(share).sort()).toEqual([LEFT, OTHER, near, 'kept.txt'].sort());
  });

  it('keeps a temp file a live upload of this share owns, however old it looks', async () => {
    writeFileSync(path.join(share, LEFT), 'in flight');
    const temps = new TempFileRegistry();
    temps.add(path.join(share, LEFT));
    await noticeAll(sweeper({ aheadMs: 2 * HOUR, temps }), LEFT);
    expect(existsSync(path.join(share, LEFT))).toBe(true);
  });

  it('never writes to a read-only share, nor after the share was stopped', async () => {
    writeFileSync(path.join(share, LEFT), 'left');
    writeFileSync(path.join(share, OTHER), 'left too');
    await noticeAll(sweeper({ aheadMs: 2 * HOUR, readOnly: true }), LEFT, OTHER);
    const stopped = sweeper({ aheadMs: 2 * HOUR });
    stopped.stop();
    await noticeAll(stopped, LEFT, OTHER);
    expect(existsSync(path.join(share, LEFT)) && existsSync(path.join(share, OTHER))).toBe(true);
    const readOnlySpace = new ShareNamespace(share, true, 'auto', 0);
    readOnlySpace.leftTemps.noticed(share, LEFT);
    await readOnlySpace.leftTemps.settled();
    expect(existsSync(path.join(share, LEFT))).toBe(true);
  });

  it('queues a bounded number: a folder of thousands costs a listing nothing more', async () => {
    const names = Array.from(
      { length: 200 },
      (_, i) => `.spice-webdav-upload-${i.toString(16).padStart(24, '0')}`,
    );
    for (const name of names) writeFileSync(path.join(share, name), '');
    const sweep = sweeper({ aheadMs: 2 * HOUR });
    await noticeAll(sweep, ...names);
    const left = readdirSync(share).length;
    expect(left).toBeGreaterThan(0); // the rest wait for the next listing
    expect(left).toBeLessThan(200);
    await noticeAll(sweep, ...names.filter((name) => existsSync(path.join(share, name))));
    expect(readdirSync(share).length).toBeLessThan(left);
  });

  describe('through the engine', () => {
    let engine: WebdavEngine;

    beforeEach(async () => {
      mkdirSync(path.join(share, 'work'));
      engine = await createWebdavEngine({ root: share, readOnly: false }, { staleTempAfterMs: 0 });
    });

    afterEach(() => engine.close());

    function list(folder: string): Promise<number> {
      return davRequest(engine, { method: 'PROPFIND', path: folder, headers: { Depth: '1' } }).then(
        (response) => response.status,
      );
    }

    it('a listing of the folder removes the one left there, and shows none', async () => {
      writeFileSync(path.join(share, 'work', LEFT), 'half an upload');
      const response = await davRequest(engine, {
        method: 'PROPFIND',
        path: '/work/',
        headers: { Depth: '1' },
      });
      expect(response.status).toBe(207);
      expect(response.body.toString()).not.toContain('spice-webdav-upload');
      await until(() => !existsSync(path.join(share, 'work', LEFT)));
    });

    it('an upload streaming into the folder while it is listed completes intact', async () => {
      const body = Buffer.alloc(4 * 1024 * 1024, 7);
      const client = connect(engine);
      let received = '';
      client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      client.write(`PUT /work/big.bin HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`);
      client.write(body.subarray(0, 1024 * 1024));
      const folder = path.join(share, 'work');
      await until(() => readdirSync(folder).some((name) => name.startsWith('.spice-webdav-upload-')));
      // A canary left by a "crash": once the listing's sweep removed it, the live one was looked at too.
      writeFileSync(path.join(folder, LEFT), 'left');
      expect(await list('/work/')).toBe(207);
      await until(() => !existsSync(path.join(folder, LEFT)));
      expect(await list('/work/')).toBe(207);
      client.write(body.subarray(1024 * 1024));
      await until(() => statusesIn(received).length > 0);
      expect(statusesIn(received)).toEqual([201]);
      expect(readFileSync(path.join(folder, 'big.bin')).equals(body)).toBe(true);
      client.destroy();
    });
  });
});
