import type { XmlElement } from './xml-node';
import type { XmlLimits, XmlRead } from './xml-reader';
import { readXml } from './xml-reader';

/** Bodies of at most this many bytes are remembered; clients' PROPFIND and LOCK bodies are a few hundred. */
export const REMEMBERED_BODY_BYTES = 1024;

/** How many bodies are remembered: a client sends the same few, over and over. */
export const REMEMBERED_BODIES = 16;

/**
 * Trees of at most this many nodes (elements, text runs, attributes) are remembered. A PROPFIND body naming a
 * dozen properties, pretty-printed, makes about 30; a kilobyte of `<a/>` makes 250, which cost 290 bytes each
 * on the heap here.
 */
export const REMEMBERED_NODES = 64;

/**
 * readXml with a memory of the last few small bodies it read well, keyed by their exact bytes.
 *
 * A file manager's WebDAV client (gvfs, davfs2) sends the same PROPFIND body with every request, and reading
 * it was the costliest step of a small PROPFIND at the pace they send them: saxes reads a 170-byte body naming
 * three properties in 22 µs back to back but in 210 µs at one request per 5 ms, when its code and data are no
 * longer in the CPU's caches; a remembered body is found in 6 µs (docs/performance.md, "Latest results
 * (session 20)"). The trees are immutable, so one is handed to every request that sent the same bytes.
 *
 * What it may hold is bounded whatever the guest sends: REMEMBERED_BODIES bodies of at most
 * REMEMBERED_BODY_BYTES each and their trees of at most REMEMBERED_NODES nodes, about 300 KiB at most; the
 * least recently used is forgotten first. Only bodies read well are remembered: a refusal costs its reading
 * again, as it always did. The limits are fixed per instance, so a remembered tree is what readXml would
 * answer now.
 */
export class RecentXmlReads {
  private readonly reads = new Map<string, Extract<XmlRead, { kind: 'ok' }>>();

  constructor(private readonly limits: XmlLimits) {}

  read(body: Buffer): XmlRead {
    if (body.length > REMEMBERED_BODY_BYTES) return readXml(body, this.limits);
    const key = body.toString('latin1'); // one character per byte: equal keys are equal bytes
    const known = this.reads.get(key);
    if (known !== undefined) {
      this.reads.delete(key); // to the end: the most recently used
      this.reads.set(key, known);
      return known;
    }
    const read = readXml(body, this.limits);
    if (read.kind !== 'ok' || !hasAtMostNodes(read.root, REMEMBERED_NODES)) return read;
    this.reads.set(key, read);
    if (this.reads.size > REMEMBERED_BODIES) {
      const oldest = this.reads.keys().next();
      if (oldest.done !== true) this.reads.delete(oldest.value);
    }
    return read;
  }
}

/** Whether the tree has at most `limit` nodes (the root, every element's children and attributes); stops past. */
function hasAtMostNodes(root: XmlElement, limit: number): boolean {
  let count = 1;
  const pending: XmlElement[] = [root];
  for (let element = pending.pop(); element !== undefined; element = pending.pop()) {
    count += element.children.length + element.attributes.length;
    if (count > limit) return false;
    for (const child of element.children) if (child.kind === 'element') pending.push(child);
  }
  return true;
}
