/** One folder level of the index: what is filed at its path, and the levels below it by name. */
interface Level<V> {
  readonly values: Set<V>;
  readonly children: Map<string, Level<V>>;
  readonly parent: Level<V> | undefined;
  readonly name: string;
}

/**
 * Values filed under share paths ("/a/b", "/" for the root), looked up along a path's ancestors or below it
 * in time linear in the path's length plus what is found. A map keyed by whole paths hashes every ancestor's
 * whole path to find the ones holding something: quadratic in the path's length, and a listing asks for every
 * entry, so a guest that made a folder 1,900 levels deep had one PROPFIND of 2,000 files cost 30 s of CPU
 * with no lock held at all (an attacker's finding, session 28). Here each name of the path is hashed once.
 */
export class PathIndex<V> {
  private readonly top: Level<V> = { values: new Set(), children: new Map(), parent: undefined, name: '' };

  add(path: string, value: V): void {
    let level = this.top;
    for (const name of namesOf(path)) {
      let child = level.children.get(name);
      if (child === undefined) {
        child = { values: new Set(), children: new Map(), parent: level, name };
        level.children.set(name, child);
      }
      level = child;
    }
    level.values.add(value);
  }

  remove(path: string, value: V): void {
    const level = this.find(path);
    if (level === undefined) return;
    level.values.delete(value);
    // Levels that hold nothing and lead nowhere go, so the index stays the size of what is filed.
    for (let empty: Level<V> | undefined = level; empty?.parent !== undefined; empty = empty.parent) {
      if (empty.values.size > 0 || empty.children.size > 0) break;
      empty.parent.children.delete(empty.name);
    }
  }

  /** What is filed at `path` itself. */
  at(path: string): V[] {
    return [...(this.find(path)?.values ?? [])];
  }

  /** What is filed at `path` (`exact`) and at each of its ancestors, the root's first. */
  along(path: string): { readonly value: V; readonly exact: boolean }[] {
    const found: { value: V; exact: boolean }[] = [];
    const names = namesOf(path);
    let level: Level<V> | undefined = this.top;
    for (let i = 0; level !== undefined; i++) {
      const exact = i === names.length;
      for (const value of level.values) found.push({ value, exact });
      if (exact) break;
      level = level.children.get(names[i] ?? '');
    }
    return found;
  }

  /** What is filed strictly below `path`. */
  below(path: string): V[] {
    const found: V[] = [];
    const start = this.find(path);
    const pending = start === undefined ? [] : [...start.children.values()];
    for (let level = pending.pop(); level !== undefined; level = pending.pop()) {
      for (const value of level.values) found.push(value);
      for (const child of level.children.values()) pending.push(child);
    }
    return found;
  }

  private find(path: string): Level<V> | undefined {
    let level: Level<V> | undefined = this.top;
    for (const name of namesOf(path)) {
      level = level.children.get(name);
      if (level === undefined) return undefined;
    }
    return level;
  }
}

/** "/a/b" → ["a", "b"]; "/" → []. */
function namesOf(path: string): string[] {
  return path.split('/').filter((name) => name !== '');
}
