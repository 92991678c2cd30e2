import { pathBelow } from '../byte-path';

/**
 * A folder on the way down: its path and the names in it, those before `next` visited. Each name is its bytes
 * on disk read as Latin-1, a character per byte: exact both ways, and a string of one byte per character
 * takes a tenth of what a Buffer per name does (90,000 names: 12 MiB of Buffers).
 */
interface Level {
  readonly path: Buffer;
  readonly names: string[];
  next: number;
}

/**
 * The entries of a tree, depth first, as paths of bytes. It keeps the names of each folder on the way down and
 * makes an entry's whole path only when its turn comes: a walk that pushed the path of every entry it had yet
 * to visit held 100,000 paths of up to 4 KiB in a deep tree, and one MOVE of such a tree took the process to
 * 532 MiB (an attacker's finding, session 28). Whoever walks says which entries to enter.
 */
export class TreeWalk {
  private readonly levels: Level[] = [];
  private pendingTop: Buffer | undefined;

  constructor(top: Buffer) {
    this.pendingTop = top;
  }

  /** The next entry's path, undefined once every entry was given. */
  next(): Buffer | undefined {
    const top = this.pendingTop;
    if (top !== undefined) {
      this.pendingTop = undefined;
      return top;
    }
    for (let level = this.levels.at(-1); level !== undefined; level = this.levels.at(-1)) {
      const name = level.names[level.next];
      if (name !== undefined) {
        level.names[level.next++] = ''; // visited: let it go
        return pathBelow(level.path, Buffer.from(name, 'latin1'));
      }
      this.levels.pop();
    }
    return undefined;
  }

  /**
   * Walks into `folder` (an entry `next` gave) next, through `names` (Latin-1 readings of their bytes), before
   * the rest of its own folder.
   */
  enter(folder: Buffer, names: string[]): void {
    if (names.length > 0) this.levels.push({ path: folder, names, next: 0 });
  }
}
