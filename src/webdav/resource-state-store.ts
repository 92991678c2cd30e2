import { propertyCost, propertyKey, type DeadProperty, type PropertyName } from './properties/dead-property';

/**
 * Bytes of dead properties (names, namespaces, attributes, values, per-node overhead) and of the paths they
 * are kept for the store keeps in all.
 */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** The same, on one path: what one PROPFIND entry may carry. */
const DEFAULT_MAX_PATH_BYTES = 1024 * 1024;

/**
 * What keeping a path costs besides its properties: its entry and map. With the path's own length, charged
 * to the byte budget: a count of paths alone let 10,000 paths of 3.5 KB hold about 40 MiB (an attacker's
 * finding, session 28).
 */
export const STATE_ENTRY_BYTES = 256;

export type PropertyWrite = { readonly kind: 'stored' } | { readonly kind: 'full' };

/**
 * Dead properties, keyed by share path ("/a/b", "/" for the root). Unlike the library's PhysicalFileSystem,
 * which keeps an entry for every path ever listed, an entry exists only while a path carries a property; the
 * number of such paths and the bytes kept are capped. Lost on restart. Locks live in the LockTable.
 */
export class ResourceStateStore {
  private readonly states = new Map<string, Map<string, DeadProperty>>();
  private bytes = 0;

  constructor(
    private readonly maxPaths: number,
    private readonly maxBytes: number = DEFAULT_MAX_BYTES,
    private readonly maxPathBytes: number = DEFAULT_MAX_PATH_BYTES,
  ) {}

  /** Bytes charged for what the store keeps now (see propertyCost). */
  get bytesUsed(): number {
    return this.bytes;
  }

  /** How many paths carry at least one dead property. */
  get size(): number {
    return this.states.size;
  }

  properties(path: string): readonly DeadProperty[] {
    return [...(this.states.get(path)?.values() ?? [])];
  }

  property(path: string, name: PropertyName): DeadProperty | undefined {
    return this.states.get(path)?.get(propertyKey(name));
  }

  /**
   * Replaces the whole property set of a path at once (PROPPATCH is all or nothing), or refuses when the
   * path count, the path's byte budget or the total byte budget would be exceeded; nothing changes then.
   */
  replace(path: string, properties: readonly DeadProperty[]): PropertyWrite {
    const existing = this.states.get(path);
    const before = existing ? stateCost(path, existing.values()) : 0;
    const after = properties.length === 0 ? 0 : stateCost(path, properties);
    if (properties.length > 0 && !existing && this.states.size >= this.maxPaths) return { kind: 'full' };
    if (after > before && (after > this.maxPathBytes || this.bytes - before + after > this.maxBytes))
      return { kind: 'full' };
    this.bytes += after - before;
    if (properties.length === 0) this.states.delete(path);
    else this.states.set(path, new Map(properties.map((property) => [propertyKey(property), property])));
    return { kind: 'stored' };
  }

  /** Forget a path and everything below it (after DELETE, or the destination replaced by MOVE/COPY). */
  forgetTree(path: string): void {
    for (const [stored, properties] of [...this.states.entries()]) {
      if (!isSameOrBelow(stored, path)) continue;
      this.bytes -= stateCost(stored, properties.values());
      this.states.delete(stored);
    }
  }

  /** Re-key a path and everything below it (after MOVE). */
  moveTree(from: string, to: string): void {
    this.forgetTree(to);
    for (const [stored, properties] of [...this.states.entries()]) {
      if (!isSameOrBelow(stored, from)) continue;
      const moved = to + stored.slice(from.length);
      this.states.delete(stored);
      this.states.set(moved, properties);
      // The files have moved already, so their properties go with them even past the budget: by at most
      // what longer paths cost, as paths are bounded by PATH_MAX and their count by maxPaths.
      this.bytes += moved.length - stored.length;
    }
  }

  /** Copy the properties of a path, and with `deep` of everything below it (after COPY); best effort at the caps. */
  copyTree(from: string, to: string, deep: boolean): void {
    this.forgetTree(to);
    for (const [stored, properties] of [...this.states.entries()]) {
      if (stored !== from && !(deep && isSameOrBelow(stored, from))) continue;
      this.replace(to + stored.slice(from.length), [...properties.values()]);
    }
  }
}

export function isSameOrBelow(candidate: string, path: string): boolean {
  return candidate === path || candidate.startsWith(path === '/' ? '/' : path + '/');
}

function stateCost(path: string, properties: Iterable<DeadProperty>): number {
  return STATE_ENTRY_BYTES + path.length + costOf(properties);
}

function costOf(properties: Iterable<DeadProperty>): number {
  let total = 0;
  for (const property of properties) total += propertyCost(property);
  return total;
}
