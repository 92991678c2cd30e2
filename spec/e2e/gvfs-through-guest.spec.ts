// GNOME's own WebDAV client (gvfs, what GNOME Files uses) through the whole path: gio on the host → QEMU's
// user-net forward → the guest's relay → spice-webdavd → SPICE → spice-webdav → the engine → a host folder.
// As a new user would: mount, see the free space and size, list, read, save, copy a tree in, move, make and
// remove folders and files, unmount; and a read-only share that refuses every one of those writes.

import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  promises as fsp,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifest } from '../unit/webdav/support/temp-share';
import { startGvfs, type GioResult, type GvfsSession } from './support/gvfs-session';
import { hostDavRequest } from './support/host-dav';
import { startSharing, type SharingSession } from './support/sharing-session';
import { withGuest } from './support/with-guest';

jest.setTimeout(300_000);

/** What gvfs shows as the size: available + used, constant whatever else writes to the disk meanwhile. */
async function sizeSeenByUsers(folder: string): Promise<bigint> {
  const figures = await fsp.statfs(folder, { bigint: true });
  return (figures.blocks - figures.bfree + figures.bavail) * figures.bsize;
}

function attribute(info: GioResult, name: string): string | undefined {
  return new RegExp(`^\\s*${name}: (.*)$`, 'mu').exec(info.stdout)?.[1];
}

function expectOk(result: GioResult): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
}

describe('GNOME gvfs through a real guest', () => {
  // gio runs on the host, so it needs the forward to the guest relay (off by default: docs/security.md).
  const guest = withGuest({ forwardGuestRelay: true });
  let base: string;
  let sharing: SharingSession | undefined;
  let gvfs: GvfsSession | undefined;
  let url: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'spice-webdav-gvfs-e2e-'));
  });

  afterEach(async () => {
    await gvfs?.stop();
    gvfs = undefined;
  });

  afterAll(() => {
    sharing?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  /** Shares `folder` (the first time, or switches the running share) and waits until the host reaches it. */
  async function share(folder: string, readOnly: boolean): Promise<void> {
    if (sharing === undefined) {
      sharing = startSharing(guest.qemu, { path: folder, readOnly });
      await sharing.waitFor((e) => e.kind === 'port-opened');
    } else {
      const mark = sharing.events.length;
      sharing.commands.next({ kind: 'share', path: folder, readOnly });
      await sharing.waitFor((e) => e.kind === 'sharing-started', 30_000, mark);
    }
    const port = guest.qemu.webdavForwardPort;
    if (port === undefined) throw new Error('the guest has no forwarded webdav port');
    url = `dav://127.0.0.1:${port}/`;
    // The daemon answers about a second after the channel links: wait for an answer, a bounded number of times.
    for (let attempt = 0; attempt < 40; attempt++) {
      const ok = await hostDavRequest(guest.qemu, { method: 'OPTIONS', path: '/', timeoutMs: 5000 }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('the host never reached the share through the guest');
  }

  /** The requests the share answered, as "METHOD path status" (for failure messages). */
  function requestsSeen(): string[] {
    return (sharing?.events ?? []).flatMap((e) =>
      e.kind === 'request' ? [`${e.method} ${e.path} ${e.status}`] : [],
    );
  }

  /** gio info -f shows the share's free space, and its size equals what statfs gives users of the folder. */
  async function expectSpaceShown(gio: GvfsSession, dir: string): Promise<GioResult> {
    const info = await gio.gio(['info', '-f', url]);
    expectOk(info);
    const expectedSize = (await sizeSeenByUsers(dir)).toString();
    // gvfs leaves the figures out when its PROPFIND's answer has none: the requests the share saw help tell why.
    expect({ size: attribute(info, 'filesystem::size'), info: info.stdout }).toEqual({
      size: expectedSize,
      info: expect.stringContaining('filesystem::free: ') as unknown,
      ...(attribute(info, 'filesystem::size') === expectedSize ? {} : { requests: requestsSeen() }),
    });
    return info;
  }

  async function mount(): Promise<GvfsSession> {
    gvfs = await startGvfs();
    expectOk(await gvfs.gio(['mount', url]));
    return gvfs;
  }

  it('mounts, shows free space and size, lists, reads, saves, copies a tree, moves, makes, removes', async () => {
    const dir = join(base, 'rw');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    mkdirSync(join(dir, 'old'));
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'hello.txt'), 'hello from the host\n');
    writeFileSync(join(dir, 'old', 'gone.txt'), 'bye');
    mkdirSync(join(dir, 'many'));
    for (let i = 0; i < 4000; i++) writeFileSync(join(dir, 'many', `entry-${i}.txt`), '');
    await share(dir, false);
    const gio = await mount();

    const info = await expectSpaceShown(gio, dir);
    expect(BigInt(attribute(info, 'filesystem::free') ?? '0')).toBeGreaterThan(0n);

    const listing = await gio.gio(['list', url]);
    expectOk(listing);
    expect(listing.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'docs',
      'empty',
      'hello.txt',
      'many',
      'old',
    ]);
    // A listing of 4,000 entries is over 1 MiB, so its answer comes chunked (propfind/streamed-answer.ts).
    const many = await gio.gio(['list', `${url}many/`]);
    expectOk(many);
    expect(many.stdout.split('\n').filter(Boolean)).toHaveLength(4000);

    const read = await gio.gio(['cat', `${url}hello.txt`]);
    expectOk(read);
    expect(read.stdout).toBe('hello from the host\n');

    expectOk(await gio.gio(['save', `${url}saved.txt`], 'saved from GNOME\n'));
    expect(readFileSync(join(dir, 'saved.txt'), 'utf8')).toBe('saved from GNOME\n');

    // A tree as GNOME Files copies one: folders made one by one, files copied into them (a 5 MiB one too).
    const source = join(base, 'tree-source');
    mkdirSync(join(source, 'a', 'b'), { recursive: true });
    writeFileSync(join(source, 'top.txt'), 'top');
    writeFileSync(join(source, 'a', 'middle.bin'), randomBytes(5 * 1024 * 1024));
    writeFileSync(join(source, 'a', 'b', 'deep file.txt'), 'deep');
    for (const folder of ['tree', 'tree/a', 'tree/a/b'])
      expectOk(await gio.gio(['mkdir', `${url}${folder}`]));
    for (const file of ['top.txt', 'a/middle.bin', 'a/b/deep file.txt'])
      expectOk(await gio.gio(['copy', join(source, file), `${url}tree/${file.replace(/ /gu, '%20')}`]));
    expect(manifest(join(dir, 'tree'))).toEqual(manifest(source));

    expectOk(await gio.gio(['move', `${url}saved.txt`, `${url}docs/saved.txt`]));
    expect(existsSync(join(dir, 'saved.txt'))).toBe(false);
    expect(readFileSync(join(dir, 'docs', 'saved.txt'), 'utf8')).toBe('saved from GNOME\n');

    expectOk(await gio.gio(['mkdir', `${url}new folder`.replace(/ /gu, '%20')]));
    expect(existsSync(join(dir, 'new folder'))).toBe(true);

    expectOk(await gio.gio(['remove', `${url}old/gone.txt`]));
    expectOk(await gio.gio(['remove', `${url}empty`]));
    expect(existsSync(join(dir, 'old', 'gone.txt'))).toBe(false);
    expect(existsSync(join(dir, 'empty'))).toBe(false);

    expectOk(await gio.gio(['mount', '-u', url]));
    expect((await gio.gio(['info', url])).code).not.toBe(0); // no longer mounted
    expect(sharing?.error).toBeUndefined();
  });

  it('on a read-only share: lists, reads and shows the space, and every write is refused', async () => {
    const dir = join(base, 'ro');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(join(dir, 'hello.txt'), 'read me\n');
    writeFileSync(join(dir, 'docs', 'keep.txt'), 'keep');
    const local = join(base, 'local.txt');
    writeFileSync(local, 'from the guest user');
    await share(dir, true);
    const before = manifest(dir);
    const gio = await mount();

    await expectSpaceShown(gio, dir);
    expect((await gio.gio(['list', url])).stdout.split('\n').filter(Boolean).sort()).toEqual([
      'docs',
      'hello.txt',
    ]);
    expect((await gio.gio(['cat', `${url}hello.txt`])).stdout).toBe('read me\n');

    // One after another: the gio calls share one gvfsd backend and the forward takes one connection at a time.
    const succeeded: string[] = [];
    for (const [what, args, input] of [
      ['save', ['save', `${url}new.txt`], 'x'],
      ['overwrite', ['save', `${url}hello.txt`], 'changed'],
      ['copy in', ['copy', local, `${url}copied.txt`]],
      ['mkdir', ['mkdir', `${url}made`]],
      ['move', ['move', `${url}hello.txt`, `${url}docs/hello.txt`]],
      ['rename', ['rename', `${url}hello.txt`, 'renamed.txt']],
      ['remove file', ['remove', `${url}docs/keep.txt`]],
      ['remove folder', ['remove', `${url}docs`]],
    ] as ReadonlyArray<readonly [string, string[], string?]>)
      if ((await gio.gio(args, input)).code === 0) succeeded.push(what);
    expect(succeeded).toEqual([]);
    expect(manifest(dir)).toEqual(before);

    expectOk(await gio.gio(['mount', '-u', url]));
    expect(sharing?.error).toBeUndefined();
  });
});
