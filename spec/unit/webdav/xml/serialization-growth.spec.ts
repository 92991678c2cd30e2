import fc from 'fast-check';
import { activeLockXml, readLockInfo } from '../../../../src/webdav/locks/lock-xml';
import { deadPropertyXml } from '../../../../src/webdav/properties/dead-property';
import { readPropertyUpdate } from '../../../../src/webdav/properties/proppatch';
import { NamespaceScope } from '../../../../src/webdav/xml/xml-fragment';
import { readXml } from '../../../../src/webdav/xml/xml-reader';

/**
 * Item 4 of issue 11: guest XML that is stored (lock owners, dead property values) and written back must not
 * come out larger than a constant times what came in, whatever namespaces, nesting and characters the guest
 * chose. The old writer re-declared each element's (long) default namespace on every element.
 */
const GROWTH = 8;
const FRAMING = 1024;
const RUNS = 60;

/** Namespaces the root declares once: a long default one and three long prefixes. */
const NAMESPACES = Array.from({ length: 4 }, (_, i) => `urn:${String(i).repeat(900)}`);
const ROOT_DECLARATIONS = ` xmlns="${NAMESPACES[0]}"${[1, 2, 3].map((i) => ` xmlns:p${i}="${NAMESPACES[i]}"`).join('')}`;

interface TreeElement {
  readonly ns: number;
  readonly local: string;
  readonly attributes: readonly { readonly prefixed: boolean; readonly value: string }[];
  readonly children: readonly (TreeElement | string)[];
}

const characters = fc.constantFrom('a', 'Z', '<', '>', '&', '"', "'", '\t', '\n', ' ', 'é', '\u{10000}');
const textArb = fc.string({ unit: characters, maxLength: 12 });
const { element } = fc.letrec<{ element: TreeElement; node: TreeElement | string }>((tie) => ({
  element: fc.record({
    ns: fc.integer({ min: 0, max: 3 }),
    local: fc.constantFrom('a', 'b', 'value'),
    attributes: fc.array(fc.record({ prefixed: fc.boolean(), value: textArb }), { maxLength: 4 }),
    children: fc.array(tie('node'), { maxLength: 5 }),
  }),
  node: fc.oneof({ depthSize: 'small' }, textArb, tie('element')),
}));

/** The shortest spelling a guest could use: prefixes of one letter, quotes and escapes only where needed. */
function write(node: TreeElement | string): string {
  if (typeof node === 'string') return node.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const name = node.ns === 0 ? node.local : `p${node.ns}:${node.local}`;
  const attributes = node.attributes
    .map((attribute, i) => {
      const value = attribute.value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
      return ` ${attribute.prefixed ? 'p1:' : ''}x${i}="${value}"`;
    })
    .join('');
  return node.children.length === 0
    ? `<${name}${attributes}/>`
    : `<${name}${attributes}>${node.children.map(write).join('')}</${name}>`;
}

/** Nodes, plus many empty siblings in the long default namespace (the flood the old writer multiplied). */
const contentArb = fc
  .record({ nodes: fc.array(element, { maxLength: 20 }), flood: fc.nat({ max: 2000 }) })
  .map(({ nodes, flood }) => nodes.map(write).join('') + '<a/>'.repeat(flood));

describe('serialization of stored guest XML', () => {
  it('a lock owner comes back at most 8 times its LOCK body, plus framing (fast-check)', () => {
    let stored = 0;
    fc.assert(
      fc.property(contentArb, (owner) => {
        const body = Buffer.from(
          `<D:lockinfo xmlns:D="DAV:"${ROOT_DECLARATIONS}><D:lockscope><D:shared/></D:lockscope>` +
            `<D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`,
        );
        const read = readXml(body);
        if (read.kind !== 'ok') return; // over a reader limit: refused, nothing stored
        stored++;
        const info = readLockInfo(read.root);
        if (info.kind !== 'ok') throw new Error(info.reason);
        const lock = {
          token: 'urn:uuid:00000000-0000-0000-0000-000000000000',
          root: '/a',
          depth: '0' as const,
          scope: info.scope,
          owner: info.owner,
          ownerBytes: 0,
          timeoutSeconds: 3600,
          expiresAt: 0,
        };
        const out = Buffer.byteLength(activeLockXml(lock, '/a', 3600), 'utf8');
        expect(out).toBeLessThanOrEqual(GROWTH * body.length + FRAMING);
        // ...and it is well-formed XML that reads back to the same owner.
        const again = readXml(
          Buffer.from(`<D:prop xmlns:D="DAV:">${activeLockXml(lock, '/a', 3600)}</D:prop>`),
        );
        expect(again.kind).toBe('ok');
      }),
      { numRuns: RUNS },
    );
    expect(stored).toBeGreaterThan(RUNS / 2); // most inputs pass the reader: the bound is really exercised
  });

  it('dead properties come back at most 8 times their PROPPATCH body, plus framing (fast-check)', () => {
    let stored = 0;
    fc.assert(
      fc.property(fc.array(contentArb, { minLength: 1, maxLength: 6 }), (values) => {
        const props = values.map(
          (value, i) => `<p${1 + (i % 3)}:prop${i}>${value}</p${1 + (i % 3)}:prop${i}>`,
        );
        const body = Buffer.from(
          `<D:propertyupdate xmlns:D="DAV:"${ROOT_DECLARATIONS}><D:set><D:prop>${props.join('')}` +
            '</D:prop></D:set></D:propertyupdate>',
        );
        const read = readXml(body);
        if (read.kind !== 'ok') return;
        stored++;
        const update = readPropertyUpdate(read.root);
        if (update.kind !== 'ok') throw new Error(update.reason);
        // As PROPFIND writes one entry: the entry's namespaces declared once on its <D:prop>.
        const scope = new NamespaceScope('e');
        const inner = update.operations
          .map((operation) => (operation.kind === 'set' ? deadPropertyXml(operation.property, scope) : ''))
          .join('');
        const out = `<D:prop xmlns:D="DAV:"${scope.declarations()}>${inner}</D:prop>`;
        expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(GROWTH * body.length + FRAMING);
        expect(readXml(Buffer.from(out)).kind).toBe('ok');
      }),
      { numRuns: RUNS },
    );
    expect(stored).toBeGreaterThan(RUNS / 2); // most inputs pass the reader: the bound is really exercised
  });
});
