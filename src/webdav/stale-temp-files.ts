import { promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import { atName } from './anchored-names';
import type { NamespaceLock } from './namespace-lock';
import { isFreshTempName, type TempFileRegistry } from './share-temp-files';

/** Temp files waiting to be looked at, at most: a listing of a folder full of them queues no more. */
const PENDING_AT_MOST = 64;

/**
 * Removes the upload temp files a crash of spice-webdav (a `kill -9`, a power loss) left in a share, as
 * listings come across them: hidden from the guest, they would otherwise hold their bytes until someone on the
 * host found them. Walking the whole share at start would cost a large share minutes; a folder a guest lists
 * is the folder it works in, so that is where they are looked for.
 *
 * Only what cannot be anyone's work in progress goes: a regular file with our exact temp name, one link
 * (a destination set aside while a MOVE or COPY replaces it is either a folder or a second link of a file the
 * guest still has), not in this share's registry of live temp files, and with neither its content nor its
 * inode changed for `staleAfterMs` (default DEFAULT_STALE_TEMP_AFTER_MS): another spice-webdav process
 * sharing the same folder writes its live ones, and renames change the inode's time. Folders with the name are left alone: one may be the only copy
 * of a folder a MOVE set aside when it was cut. Each removal runs under the share's namespace lock, shared,
 * so it never runs alongside a MOVE of a folder above it. A read-only share is never written.
 */
export class StaleTempFiles {
  private readonly pending = new Set<string>();
  private sweeping = false;
  private swept: Promise<void> = Promise.resolve();
  private stopped: boolean;
  private readonly staleAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly lock: NamespaceLock,
    private readonly temps: TempFileRegistry,
    options: { readonly readOnly: boolean; readonly staleAfterMs: number; readonly now?: () => number },
  ) {
    this.stopped = options.readOnly || !Number.isFinite(options.staleAfterMs);
    this.staleAfterMs = options.staleAfterMs;
    this.now = options.now ?? Date.now;
  }

  /** A listing of `folderReal` came across `name`, a reserved temp name. */
  noticed(folderReal: string, name: string): void {
    if (this.stopped || this.pending.size >= PENDING_AT_MOST || !isFreshTempName(name)) return;
    this.pending.add(path.join(folderReal, name));
    if (!this.sweeping) this.swept = this.sweep();
  }

  /** The share was replaced or stopped: no removal starts from now on (one already past its checks ends). */
  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  /** Resolves once nothing is pending or being removed (specs). */
  settled(): Promise<void> {
    return this.swept;
  }

  private async sweep(): Promise<void> {
    this.sweeping = true;
    try {
      for (const real of this.pending) {
        this.pending.delete(real);
        if (this.stopped) break;
        // A removal that fails (the host made the folder read-only, the file went) is left for a later listing.
        await this.lock.shared(() => this.removeIfLeftBehind(real)).catch(() => undefined);
      }
    } finally {
      this.sweeping = false;
    }
  }

  private async removeIfLeftBehind(real: string): Promise<void> {
    if (this.stopped || this.temps.holds(real)) return;
    const stats = await fsp.lstat(real).catch(() => undefined);
    if (stats === undefined || !this.leftBehind(stats)) return;
    await atName(real, (at) => fsp.unlink(at));
  }

  private leftBehind(stats: Stats): boolean {
    const now = this.now();
    return (
      stats.isFile() &&
      stats.nlink === 1 &&
      now - stats.mtimeMs >= this.staleAfterMs &&
      now - stats.ctimeMs >= this.staleAfterMs
    );
  }
}
