import type { Stats } from 'node:fs';
import { NamespaceLock } from './namespace-lock';
import { directFileCalls, poolFileCalls, type FileCalls } from './file-calls';
import { LocalMountCheck } from './local-mounts';
import { locateInShare, type Location } from './path-confinement';
import { TempFileRegistry } from './share-temp-files';
import { StaleTempFiles } from './stale-temp-files';
import { DEFAULT_STALE_TEMP_AFTER_MS } from './types';

/**
 * One share's file system as the guest's requests see it: where names lead (resolved with realpath
 * confinement), the lock that makes a request's resolve-and-act atomic with respect to other guest requests,
 * and the temp files in flight. Handlers resolve under the lock and then act on the resolved real path,
 * never on the guest's path.
 */
export class ShareNamespace {
  readonly lock = new NamespaceLock();
  readonly temps = new TempFileRegistry();
  /** Temp files a crash left behind, removed as listings come across them. */
  readonly leftTemps: StaleTempFiles;
  private readonly local: LocalMountCheck | undefined;

  constructor(
    readonly rootReal: string,
    /** The mount's mode, for the Allow header of the refusals a handler sends itself. */
    readonly readOnly = false,
    fileCalls: 'auto' | 'pool' = 'auto',
    staleTempAfterMs = DEFAULT_STALE_TEMP_AFTER_MS,
  ) {
    this.local = fileCalls === 'auto' ? new LocalMountCheck(rootReal) : undefined;
    this.leftTemps = new StaleTempFiles(this.lock, this.temps, { readOnly, staleAfterMs: staleTempAfterMs });
  }

  /** How this share's calls on names and small files are made now (file-calls.ts). */
  get calls(): FileCalls {
    return this.local?.allLocal === true ? directFileCalls : poolFileCalls;
  }

  locate(segments: readonly string[]): Promise<Location> {
    return locateInShare(this.rootReal, segments, this.calls);
  }
}

/** The same file: what we opened (fstat) is what the resolved path names (lstat), so nothing was swapped. */
export function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
