import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { isWithin } from './path-confinement';

/** Our temp files and folders (uploads, copies in progress) carry this prefix; the guest never sees them. */
export const TEMP_PREFIX = '.spice-webdav-upload-';

/** A reserved name: hidden from listings, refused in requests, never copied. */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** Bytes of every name freshTempName returns. */
export const TEMP_NAME_BYTES = TEMP_PREFIX.length + 24;

/** Random bytes of one temp name. */
const NAME_RANDOM_BYTES = 12;

/**
 * Random bytes for this many names are drawn at once: each draw is a call into OpenSSL (and a getpid); per
 * name it cost 5.5 µs here, drawn for 64 at once 0.24 µs.
 */
const NAMES_PER_DRAW = 64;

let drawn = Buffer.alloc(0);
let used = 0;

const FRESH_TEMP_NAME = new RegExp(
  `^${TEMP_PREFIX.replace(/[.]/g, '\\.')}[0-9a-f]{${NAME_RANDOM_BYTES * 2}}$`,
);

/** Exactly a name freshTempName makes (not merely one starting with the reserved prefix). */
export function isFreshTempName(name: string): boolean {
  return FRESH_TEMP_NAME.test(name);
}

/**
 * A fresh temp name: the prefix and 24 random hex digits, 45 bytes whatever the target's name, so it never
 * exceeds the file system's 255-byte limit and says nothing about the target. Each name uses bytes no other
 * name used.
 */
export function freshTempName(): string {
  if (used + NAME_RANDOM_BYTES > drawn.length) {
    drawn = randomBytes(NAME_RANDOM_BYTES * NAMES_PER_DRAW);
    used = 0;
  }
  const name = TEMP_PREFIX + drawn.toString('hex', used, used + NAME_RANDOM_BYTES);
  used += NAME_RANDOM_BYTES;
  return name;
}

/**
 * Where each of a share's temp files is now, keyed by an id the owner keeps. Our own MOVE and DELETE update
 * it (a MOVE of the folder carries the temp file along; a DELETE or an overwrite removes it), so the owner
 * always finds its temp file, or learns it is gone, and never leaves one behind.
 */
export class TempFileRegistry {
  private readonly places = new Map<symbol, string>();

  add(real: string): symbol {
    const id = Symbol(real);
    this.places.set(id, real);
    return id;
  }

  /** The temp file's real path now, or undefined if a DELETE or overwrite removed it. */
  where(id: symbol): string | undefined {
    return this.places.get(id);
  }

  /** Whether a temp file in flight is at `real` now. */
  holds(real: string): boolean {
    for (const place of this.places.values()) if (place === real) return true;
    return false;
  }

  remove(id: symbol): void {
    this.places.delete(id);
  }

  /** The folder (or file) at `fromReal` was renamed to `toReal`: temp files below it moved along. */
  moved(fromReal: string, toReal: string): void {
    for (const [id, real] of this.places)
      if (isWithin(fromReal, real)) this.places.set(id, path.join(toReal, path.relative(fromReal, real)));
  }

  /** Everything at and below `real` was deleted: so were the temp files there. */
  deleted(real: string): void {
    for (const [id, place] of this.places) if (isWithin(real, place)) this.places.delete(id);
  }
}
