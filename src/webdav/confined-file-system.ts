import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { v2 as webdav } from 'webdav-server';
import { isTempName } from './share-temp-files';
import { entityTag } from './entity-tag';
import { isWithin, locateInShare, type Location } from './path-confinement';
import { InertLockManager, InertPropertyManager } from './inert-managers';

const { Errors, ResourceType } = webdav;

type Inside = Extract<Location, { kind: 'inside' }>;

const NOT_SERIALIZABLE: webdav.FileSystemSerializer = {
  uid: () => 'spice-webdav-confined-1',
  serialize: (_fs, callback) => callback(new Error('the confined file system keeps no persistent state')),
  unserialize: (_data, callback) => callback(new Error('the confined file system keeps no persistent state')),
};

/**
 * The share as webdav-server sees it: read-only. The library only answers what our handlers leave to it
 * (OPTIONS, and the PROPFIND bodies our fast path declines), always under the share's namespace lock held
 * shared; it can stat, list and read but never create, write, move or delete (those methods are ours and
 * the library's defaults refuse). Every path is resolved with `locateInShare`, so nothing outside
 * realpath(root) is ever touched; an escaping symlink is simply absent (404). Only regular files and
 * directories exist (FIFOs or devices would hang or leak). Locks and dead properties are the engine's.
 */
export class ConfinedFileSystem extends webdav.FileSystem {
  constructor(readonly rootReal: string) {
    super(NOT_SERIALIZABLE);
  }

  private locate(segments: readonly string[]): Promise<Location> {
    return locateInShare(this.rootReal, segments);
  }

  protected override _fastExistCheck(
    _ctx: webdav.RequestContext,
    path: webdav.Path,
    callback: (exists: boolean) => void,
  ) {
    this.statInside(path).then(
      (found) => callback(found !== undefined),
      () => callback(false),
    );
  }

  protected override _type(
    path: webdav.Path,
    _ctx: webdav.TypeInfo,
    callback: webdav.ReturnCallback<webdav.ResourceType>,
  ) {
    this.withStat(path, callback, (stats) =>
      stats.isDirectory() ? ResourceType.Directory : ResourceType.File,
    );
  }

  protected override _size(
    path: webdav.Path,
    _ctx: webdav.SizeInfo,
    callback: webdav.ReturnCallback<number>,
  ) {
    this.withStat(path, callback, (stats) => (stats.isDirectory() ? 0 : stats.size));
  }

  protected override _creationDate(
    path: webdav.Path,
    _ctx: webdav.CreationDateInfo,
    callback: webdav.ReturnCallback<number>,
  ) {
    this.withStat(path, callback, (stats) => stats.birthtimeMs || stats.ctimeMs);
  }

  protected override _lastModifiedDate(
    path: webdav.Path,
    _ctx: webdav.LastModifiedDateInfo,
    callback: webdav.ReturnCallback<number>,
  ) {
    this.withStat(path, callback, (stats) => stats.mtimeMs);
  }

  protected override _etag(
    path: webdav.Path,
    _ctx: webdav.ETagInfo,
    callback: webdav.ReturnCallback<string>,
  ) {
    this.withStat(path, callback, entityTag);
  }

  protected override _readDir(
    path: webdav.Path,
    _ctx: webdav.ReadDirInfo,
    callback: webdav.ReturnCallback<string[]>,
  ) {
    this.listVisible(path).then(
      (names) => callback(undefined, names),
      () => callback(Errors.ResourceNotFound),
    );
  }

  protected override _openReadStream(
    path: webdav.Path,
    _ctx: webdav.OpenReadStreamInfo,
    callback: webdav.ReturnCallback<Readable>,
  ) {
    this.statInside(path).then(
      (found) => {
        if (!found || !found.stats.isFile()) return callback(Errors.ResourceNotFound);
        callback(undefined, createReadStream(found.location.real));
      },
      () => callback(Errors.ResourceNotFound),
    );
  }

  protected override _lockManager(
    _path: webdav.Path,
    _ctx: webdav.LockManagerInfo,
    callback: webdav.ReturnCallback<webdav.ILockManager>,
  ) {
    callback(undefined, new InertLockManager());
  }

  protected override _propertyManager(
    _path: webdav.Path,
    _ctx: webdav.PropertyManagerInfo,
    callback: webdav.ReturnCallback<webdav.IPropertyManager>,
  ) {
    callback(undefined, new InertPropertyManager());
  }

  private async locateInside(path: webdav.Path): Promise<Inside | undefined> {
    const location = await this.locate(path.paths);
    return location.kind === 'inside' ? location : undefined;
  }

  /** Stats of an existing regular file or directory inside the share, else undefined. */
  private async statInside(path: webdav.Path): Promise<{ location: Inside; stats: Stats } | undefined> {
    const location = await this.locateInside(path);
    if (!location || !location.exists) return undefined;
    const stats = await fsp.stat(location.real);
    return stats.isFile() || stats.isDirectory() ? { location, stats } : undefined;
  }

  private withStat<T>(
    path: webdav.Path,
    callback: webdav.ReturnCallback<T>,
    pick: (stats: Stats) => T,
  ): void {
    this.statInside(path).then(
      (found) => (found ? callback(undefined, pick(found.stats)) : callback(Errors.ResourceNotFound)),
      () => callback(Errors.ResourceNotFound),
    );
  }

  /** Entries a guest may see: regular files, directories, and symlinks to those that stay inside. */
  private async listVisible(path: webdav.Path): Promise<string[]> {
    const found = await this.statInside(path);
    if (!found || !found.stats.isDirectory()) throw Errors.ResourceNotFound;
    const entries = await fsp.readdir(found.location.real, { withFileTypes: true });
    const visible: string[] = [];
    for (const entry of entries) {
      if (isTempName(entry.name)) continue;
      if (entry.isFile() || entry.isDirectory()) visible.push(entry.name);
      else if (entry.isSymbolicLink() && (await this.linkStaysInside(`${found.location.real}/${entry.name}`)))
        visible.push(entry.name);
    }
    return visible;
  }

  private async linkStaysInside(linkPath: string): Promise<boolean> {
    try {
      const target = await fsp.realpath(linkPath);
      const stats = await fsp.stat(target);
      return isWithin(this.rootReal, target) && (stats.isFile() || stats.isDirectory());
    } catch {
      return false;
    }
  }
}
