import type { ResourceKind } from './method-table';
import type { Location } from './path-confinement';
import type { ShareNamespace } from './share-namespace';
import { locatedVisibleStats } from './visibility';

/** One host folder served by the engine: at `/` (a single share) or at `/NAME/` (a folder of several). */
export interface Mount {
  /** The top-level name in the guest's URLs; undefined for the one folder served at `/`. */
  readonly name: string | undefined;
  readonly readOnly: boolean;
  /** Its files, namespace lock and temp files: every mount has its own. */
  readonly space: ShareNamespace;
}

/** Where a request's path (its segments from `/`) lands among the mounts. */
export type Placement =
  /** The virtual root listing the mounts of a multi-folder share. */
  | { readonly kind: 'mounts' }
  /** Under the virtual root, but no mount has this top-level name. */
  | { readonly kind: 'no-mount'; readonly name: string }
  /** Inside a mount: `inner` is the path inside its folder ([] for the mount's root). */
  | { readonly kind: 'mount'; readonly mount: Mount; readonly inner: readonly string[] };

/**
 * The mounts of one engine, and the one place a request's path is split into a mount and the path inside
 * it. Everything else (locks, dead properties, hrefs, If headers) works on the whole path from `/`, so the
 * mount prefix is part of every href and lock root without any rewriting.
 */
export class MountTable {
  private readonly byName: ReadonlyMap<string, Mount>;

  private constructor(
    private readonly single: Mount | undefined,
    readonly mounts: readonly Mount[],
  ) {
    this.byName = new Map(mounts.map((mount) => [mount.name ?? '', mount]));
  }

  /** One folder at `/`. */
  static single(mount: Mount): MountTable {
    return new MountTable(mount, [mount]);
  }

  /** Several folders at `/NAME/`, under a virtual root that lists them. */
  static named(mounts: readonly Mount[]): MountTable {
    return new MountTable(undefined, mounts);
  }

  place(segments: readonly string[]): Placement {
    if (this.single !== undefined) return { kind: 'mount', mount: this.single, inner: segments };
    const [name, ...inner] = segments;
    if (name === undefined) return { kind: 'mounts' };
    const mount = this.byName.get(name);
    return mount === undefined ? { kind: 'no-mount', name } : { kind: 'mount', mount, inner };
  }

  /** Where a path leads on disk; the virtual root and names that are no mount lead nowhere. */
  async locate(segments: readonly string[]): Promise<Location> {
    const placement = this.place(segments);
    if (placement.kind !== 'mount') return { kind: 'outside' };
    return placement.mount.space.locate(placement.inner);
  }

  /** True for the mode requests in this place are held to: the virtual root is always read-only. */
  isReadOnly(placement: Placement): boolean {
    return placement.kind === 'mount' ? placement.mount.readOnly : true;
  }
}

/**
 * What a path is, for the dispatch table: found with the share's visibility rule (a FIFO, device or socket
 * is as absent as a name that does not exist); undefined for a path that leaves its folder (the handlers
 * refuse those with their own sentence).
 */
export async function resourceKind(placement: Placement): Promise<ResourceKind | undefined> {
  if (placement.kind === 'mounts') return 'mounts';
  if (placement.kind === 'no-mount') return 'missing';
  if (placement.inner.length === 0) return 'root';
  return kindOfLocation(await placement.mount.space.locate(placement.inner));
}

/** The kind of a resolved path inside a mount (not its root), with the visibility rule. */
export async function kindOfLocation(location: Location): Promise<ResourceKind | undefined> {
  if (location.kind === 'outside') return undefined;
  const stats = await locatedVisibleStats(location);
  if (stats === undefined) return 'missing';
  return stats.isDirectory() ? 'folder' : 'file';
}
