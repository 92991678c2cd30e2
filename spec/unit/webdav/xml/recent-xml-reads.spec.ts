import {
  RecentXmlReads,
  REMEMBERED_BODIES,
  REMEMBERED_BODY_BYTES,
  REMEMBERED_NODES,
} from '../../../../src/webdav/xml/recent-xml-reads';
import { DEFAULT_XML_LIMITS, readXml, type XmlRead } from '../../../../src/webdav/xml/xml-reader';

const propfind = (names: string): Buffer =>
  Buffer.from(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>${names}</D:prop></D:propfind>`);
const RCLONE = propfind('<D:resourcetype/><D:getlastmodified/><D:getcontentlength/>');

/** The tree of a read that must have succeeded. */
const rootOf = (read: XmlRead) => {
  if (read.kind !== 'ok') throw new Error(`expected a tree, got ${read.kind}`);
  return read.root;
};

describe('RecentXmlReads', () => {
  it('answers what readXml answers, and the same tree for the same bytes sent again', () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    const first = reads.read(RCLONE);
    expect(first).toEqual(readXml(RCLONE));
    // A copy of the bytes, as the next request brings them: found, not read again.
    expect(rootOf(reads.read(Buffer.from(RCLONE)))).toBe(rootOf(first));
  });

  it('never hands one body the tree of another that differs in a byte', () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    const utf8 = propfind('<x:é xmlns:x="urn:x"/>');
    const latin1Twin = Buffer.from(utf8.toString('latin1'), 'utf8'); // the same characters, other bytes
    const other = propfind('<x:è xmlns:x="urn:x"/>'); // same length, one byte apart in its UTF-8
    expect(rootOf(reads.read(utf8))).toEqual(rootOf(readXml(utf8)));
    expect(rootOf(reads.read(other))).toEqual(rootOf(readXml(other)));
    expect(rootOf(reads.read(other))).not.toEqual(rootOf(reads.read(utf8)));
    expect(reads.read(latin1Twin)).toEqual(readXml(latin1Twin));
  });

  it('does not remember a body it refused: each is read again and refused again', () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    const broken = Buffer.from('<D:propfind xmlns:D="DAV:"><D:prop>');
    const doctype = Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>');
    for (const body of [broken, broken, doctype, doctype]) {
      const read = reads.read(body);
      expect(read.kind).toBe('invalid');
      expect(read).toEqual(readXml(body));
    }
  });

  it('keeps the limits it was made with, for remembered bodies too', () => {
    const reads = new RecentXmlReads({ ...DEFAULT_XML_LIMITS, maxDepth: 2 });
    const deep = propfind('<D:resourcetype/>'); // propfind > prop > resourcetype: depth 3
    expect(reads.read(deep).kind).toBe('over-limit');
    expect(reads.read(deep).kind).toBe('over-limit');
  });

  it(`remembers at most ${REMEMBERED_BODIES} bodies, forgetting the least recently used first`, () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    const bodies = Array.from({ length: REMEMBERED_BODIES + 1 }, (_, i) =>
      propfind(`<x:p${i} xmlns:x="urn:x"/>`),
    );
    const trees = bodies.slice(0, REMEMBERED_BODIES).map((body) => rootOf(reads.read(body)));
    expect(rootOf(reads.read(bodies[0] as Buffer))).toBe(trees[0]); // used again: now the most recent
    reads.read(bodies[REMEMBERED_BODIES] as Buffer); // one too many: the least recently used goes, body 1
    expect(rootOf(reads.read(bodies[0] as Buffer))).toBe(trees[0]);
    expect(rootOf(reads.read(bodies[1] as Buffer))).not.toBe(trees[1]);
    expect(rootOf(reads.read(bodies[1] as Buffer))).toEqual(trees[1]);
  });

  it(`remembers a tree of ${REMEMBERED_NODES} nodes but not one of more, however short its body`, () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    // propfind, prop and n names: 2 + n nodes, in a few hundred bytes.
    const names = (n: number) =>
      Buffer.from(
        `<D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop>${'<x:a/>'.repeat(n)}</D:prop></D:propfind>`,
      );
    const fits = names(REMEMBERED_NODES - 2);
    const over = names(REMEMBERED_NODES - 1);
    expect(over.length).toBeLessThanOrEqual(REMEMBERED_BODY_BYTES);
    expect(rootOf(reads.read(fits))).toBe(rootOf(reads.read(fits)));
    const first = rootOf(reads.read(over));
    expect(rootOf(reads.read(over))).toEqual(first);
    expect(rootOf(reads.read(over))).not.toBe(first);
  });

  it('counts attributes as nodes: two elements of 32 attributes each are too many', () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    const attributes = Array.from({ length: 32 }, (_, i) => `a${i}=""`).join(' ');
    const body = Buffer.from(
      `<D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop><x:a ${attributes}/><x:b ${attributes}/></D:prop></D:propfind>`,
    );
    expect(body.length).toBeLessThanOrEqual(REMEMBERED_BODY_BYTES);
    const first = rootOf(reads.read(body));
    expect(rootOf(reads.read(body))).toEqual(first);
    expect(rootOf(reads.read(body))).not.toBe(first);
  });

  it(`reads a body over ${REMEMBERED_BODY_BYTES} bytes every time and keeps none of it`, () => {
    const reads = new RecentXmlReads(DEFAULT_XML_LIMITS);
    const names = Array.from({ length: 60 }, (_, i) => `<x:property-${i} xmlns:x="urn:x"/>`).join('');
    const large = propfind(names);
    expect(large.length).toBeGreaterThan(REMEMBERED_BODY_BYTES);
    const first = rootOf(reads.read(large));
    const second = rootOf(reads.read(large));
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
  });
});
