import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';

/** Upload temp files carry this prefix; listings hide them. */
export const UPLOAD_TEMP_PREFIX = '.spice-webdav-upload-';

export function isUploadTempName(name: string): boolean {
  return name.startsWith(UPLOAD_TEMP_PREFIX);
}

/**
 * A write stream that fills a temporary file next to the target and renames it over the target only when the
 * stream ends normally. Destroying it (aborted upload, error) removes the temporary file and leaves the old
 * target untouched, so a guest never sees a half-written file.
 */
export class AtomicFileWriter extends Writable {
  private handle: fsp.FileHandle | undefined;
  private readonly tempPath: string;
  private committed = false;

  constructor(private readonly targetPath: string) {
    super({ highWaterMark: 256 * 1024 });
    this.tempPath = path.join(
      path.dirname(targetPath),
      `${UPLOAD_TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.basename(targetPath)}`.slice(0, 255),
    );
  }

  override _construct(callback: (error?: Error | null) => void): void {
    fsp.open(this.tempPath, 'wx', 0o666).then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll(chunk).then(() => callback(), callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.writeAll(Buffer.concat(chunks.map((entry) => entry.chunk))).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    const cleanup = async () => {
      await handle?.close().catch(() => undefined);
      if (!this.committed) await fsp.unlink(this.tempPath).catch(() => undefined);
    };
    cleanup().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async writeAll(data: Buffer): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('upload file is not open');
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  private async commit(): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('upload file is not open');
    await keepModeOfExistingTarget(handle, this.targetPath);
    await handle.close();
    this.handle = undefined;
    await fsp.rename(this.tempPath, this.targetPath);
    this.committed = true;
  }
}

/** Replacing a file should not silently drop, say, its executable bit. */
async function keepModeOfExistingTarget(handle: fsp.FileHandle, targetPath: string): Promise<void> {
  try {
    const existing = await fsp.stat(targetPath);
    await handle.chmod(existing.mode & 0o7777);
  } catch {
    // No existing target (or not ours to read): keep the default mode.
  }
}
