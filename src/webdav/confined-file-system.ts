import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { v2 as webdav } from 'webdav-server';
import { AtomicFileWriter, isUploadTempName } from './atomic-file-writer';
import { entityTag } from './entity-tag';
import { isWithin, locateInShare, type Location } from './path-confinement';
import { InertLockManager, InertPropertyManager } from './inert-managers';
import type { ResourceStateStore } from './resource-state-store';

const { Errors, ResourceType } = webdav;

type Inside = Extract<Location, { kind: 'inside' }>;

const NOT_SERIALIZABLE: webdav.FileSystemSerializer = {
  uid: () => 'spice-webdav-confined-1',
  serialize: (_fs, callback) => callback(new Error('the confined file system keeps no persistent state')),
  unserialize: (_data, callback) => callback(new Error('the confined file system keeps no persistent state')),
};

/**
 * The share as webdav-server sees it. Every path is resolved with `locateInShare`, so nothing outside
 * realpath(root) is ever stat'ed, listed, read, written, moved or deleted; an escaping symlink is simply
 * absent (404). Only regular files and directories exist (FIFOs or devices would hang or leak). Content is
 * streamed; writes go through `AtomicFileWriter`. Dead properties live in a bounded store that DELETE and
 * MOVE keep in step here; locks are the engine's (the library sees none).
 */
export class ConfinedFileSystem extends webdav.FileSystem {
  constructor(
    readonly rootReal: string,
    private readonly state: ResourceStateStore,
  ) {
    super(NOT_SERIALIZABLE);
  }

  /** The resolved location of a share path, for our own GET/PUT handlers and for the request guard. */
  locate(segments: readonly string[]): Promise<Location> {
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

  protected override _openWriteStream(
    path: webdav.Path,
    _ctx: webdav.OpenWriteStreamInfo,
    callback: webdav.ReturnCallback<Writable>,
  ) {
    this.locateInside(path).then(
      (location) => {
        if (!location) return callback(Errors.ResourceNotFound);
        callback(undefined, new AtomicFileWriter(location.real));
      },
      () => callback(Errors.ResourceNotFound),
    );
  }

  protected override _create(path: webdav.Path, ctx: webdav.CreateInfo, callback: webdav.SimpleCallback) {
    const create = async () => {
      const location = await this.locateInside(path);
      if (!location) throw Errors.Forbidden;
      if (ctx.type.isDirectory) await fsp.mkdir(location.real);
      else await (await fsp.open(location.real, 'wx')).close();
    };
    create().then(
      () => callback(),
      (error: unknown) => callback(toLibraryError(error)),
    );
  }

  protected override _delete(path: webdav.Path, _ctx: webdav.DeleteInfo, callback: webdav.SimpleCallback) {
    const remove = async () => {
      if (path.isRoot()) throw Errors.Forbidden;
      const location = await this.locateInside(path);
      if (!location || !location.exists) throw Errors.ResourceNotFound;
      // `entry`, not `real`: deleting a symlink removes the link; rm never follows links inside a tree.
      await fsp.rm(location.entry, { recursive: true });
      this.state.forgetTree(path.toString());
    };
    remove().then(
      () => callback(),
      (error: unknown) => callback(toLibraryError(error)),
    );
  }

  protected override _move(
    from: webdav.Path,
    to: webdav.Path,
    ctx: webdav.MoveInfo,
    callback: webdav.ReturnCallback<boolean>,
  ) {
    const move = async (): Promise<boolean> => {
      if (from.isRoot() || to.isRoot()) throw Errors.Forbidden;
      const source = await this.locateInside(from);
      const target = await this.locateInside(to);
      if (!source || !source.exists || !target) throw Errors.ResourceNotFound;
      if (target.exists && !ctx.overwrite) throw Errors.ResourceAlreadyExists;
      if (target.exists) await fsp.rm(target.entry, { recursive: true });
      await fsp.rename(source.entry, target.entry);
      this.state.moveTree(from.toString(), to.toString());
      return target.exists;
    };
    move().then(
      (overwritten) => callback(undefined, overwritten),
      (error: unknown) => callback(toLibraryError(error)),
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
      if (isUploadTempName(entry.name)) continue;
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

function toLibraryError(error: unknown): Error {
  if (Object.values(Errors).includes(error as Error)) return error as Error;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return Errors.IntermediateResourceMissing;
    case 'EEXIST':
      return Errors.ResourceAlreadyExists;
    case 'ENOTDIR':
      return Errors.WrongParentTypeForCreation;
    case 'EACCES':
    case 'EPERM':
      return Errors.Forbidden;
    case 'ENOSPC':
      return Errors.InsufficientStorage;
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
