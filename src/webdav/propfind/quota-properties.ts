import { promises as fsp, type Stats } from 'node:fs';
import { DAV_NAMESPACE } from '../xml/xml-node';
import type { PropertyName } from './propfind-request';

/**
 * RFC 4331's live properties, on collections only (the RFC requires them there and makes them optional
 * elsewhere). RFC 4331 §2: an allprop SHOULD NOT return them (they are answered when named, in a prop list
 * or an allprop's include), and a propname MUST list them.
 */
export const QUOTA_PROPERTY_NAMES = ['quota-available-bytes', 'quota-used-bytes'] as const;

export type QuotaPropertyName = (typeof QUOTA_PROPERTY_NAMES)[number];

/**
 * The space of the file system holding a collection, in bytes, as statfs reports it to an unprivileged
 * process: `available` excludes the blocks reserved for root (what a write by us can really use), `used`
 * is every allocated block. GNOME's gvfs shows available as free and available + used as the size, and
 * Windows the same as the mapped drive's size, so these are the disk's own figures, not the share's subtree
 * (which would need a walk of the tree, unbounded work on every listing).
 *
 * A read-only share reports the same figures: clients never read read-only-ness from the quota (gvfs,
 * Windows and Finder learn it from the 403 of the write itself; gvfs says "HTTP Client Error: Forbidden"),
 * while an available 0 would make a file manager that checks free space first (GNOME Files) refuse a copy
 * with a wrong "not enough space". phodav (spice-gtk's server) does not change its figures for a read-only
 * share either. See docs/desktop-clients.md.
 */
export interface FileSystemSpace {
  readonly availableBytes: bigint;
  readonly usedBytes: bigint;
}

export function isQuotaProperty(name: PropertyName): name is { namespace: string; local: QuotaPropertyName } {
  return name.namespace === DAV_NAMESPACE && (QUOTA_PROPERTY_NAMES as readonly string[]).includes(name.local);
}

/**
 * The space figures for the collections of one PROPFIND answer: one statfs per file system (device)
 * met, however many collections it lists, so a Depth 1 listing of many folders costs one call, and a folder
 * that is another file system's mount point inside the share still gets its own figures.
 */
export class SpaceOfFileSystems {
  private readonly byDevice = new Map<number, Promise<FileSystemSpace | undefined>>();

  /** The figures of the file system holding `real` (whose stat is `stats`); undefined if statfs fails. */
  of(real: string, stats: Stats): Promise<FileSystemSpace | undefined> {
    const known = this.byDevice.get(stats.dev);
    if (known !== undefined) return known;
    const measured = measure(real);
    this.byDevice.set(stats.dev, measured);
    return measured;
  }
}

async function measure(real: string): Promise<FileSystemSpace | undefined> {
  try {
    const figures = await fsp.statfs(real, { bigint: true });
    return {
      availableBytes: figures.bavail * figures.bsize,
      usedBytes: (figures.blocks - figures.bfree) * figures.bsize,
    };
  } catch {
    return undefined; // gone since it was listed, or no statfs here: the properties read as missing (404)
  }
}

/** One quota property as XML (prefix D bound to DAV:). */
export function quotaPropertyXml(name: QuotaPropertyName, space: FileSystemSpace): string {
  const bytes = name === 'quota-available-bytes' ? space.availableBytes : space.usedBytes;
  return `<D:${name}>${bytes.toString()}</D:${name}>`;
}
