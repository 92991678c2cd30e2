import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * File systems whose calls are served by this kernel from a local device or memory: a call can be slow (a
 * seek on a cold disk) but never waits on a network or on a user-space daemon. Everything else (NFS, SMB,
 * 9p, virtiofs, every FUSE file system including ntfs-3g's fuseblk, autofs triggers, ...) is not.
 */
const LOCAL_TYPES: ReadonlySet<string> = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'bcachefs',
  'f2fs',
  'zfs',
  'jfs',
  'reiserfs',
  'nilfs2',
  'tmpfs',
  'ramfs',
  'overlay',
  'vfat',
  'exfat',
  'ntfs3',
  'hfsplus',
  'iso9660',
  'udf',
  'squashfs',
  'erofs',
]);

interface MountEntry {
  readonly mountPoint: string;
  readonly type: string;
}

/** /proc/self/mountinfo's mount points (octal escapes undone) and file-system types; malformed lines are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const mountPoint = line.slice(0, separator).split(' ')[4];
    const type = line.slice(separator + 3).split(' ')[0];
    if (mountPoint === undefined || type === undefined || type === '') continue;
    entries.push({
      mountPoint: mountPoint.replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(parseInt(octal, 8)),
      ),
      type,
    });
  }
  return entries;
}

/**
 * Whether everything under `rootReal` (a real path) lives on local file systems, by the mount table: the
 * mount that holds the root (the longest mount point above it) and every mount below it. False when the
 * table says nothing about the root.
 */
export function isAllLocal(mounts: readonly MountEntry[], rootReal: string): boolean {
  let holder: MountEntry | undefined;
  for (const mount of mounts) {
    const above =
      mount.mountPoint === '/' ||
      rootReal === mount.mountPoint ||
      rootReal.startsWith(mount.mountPoint + path.sep);
    // The later of two mounts on one point is the one on top.
    if (above && (holder === undefined || mount.mountPoint.length >= holder.mountPoint.length))
      holder = mount;
    const below =
      mount.mountPoint.startsWith(rootReal === '/' ? '/' : rootReal + path.sep) &&
      mount.mountPoint !== rootReal;
    if (below && !LOCAL_TYPES.has(mount.type)) return false;
  }
  return holder !== undefined && LOCAL_TYPES.has(holder.type);
}

/**
 * Whether a share's file-system calls may run on the event loop, re-asked of the mount table at most every
 * `recheckMs` (a file system mounted under the share later is seen within that time; reading the table is a
 * read of procfs, which never waits on a device).
 */
export class LocalMountCheck {
  private answer = false;
  private checkedAt = -Infinity;

  constructor(
    private readonly rootReal: string,
    private readonly readMountInfo: () => string = () => readFileSync('/proc/self/mountinfo', 'utf8'),
    private readonly recheckMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get allLocal(): boolean {
    const now = this.now();
    if (now - this.checkedAt < this.recheckMs) return this.answer;
    this.checkedAt = now;
    try {
      this.answer = isAllLocal(parseMountInfo(this.readMountInfo()), this.rootReal);
    } catch {
      this.answer = false; // no mount table (not Linux, no procfs): the thread pool, as before
    }
    return this.answer;
  }
}
