import fc from 'fast-check';
import { DEFAULT_XML_LIMITS, readXml, type XmlRead } from '../../../../src/webdav/xml/xml-reader';

const read = (body: string): XmlRead => readXml(Buffer.from(body, 'utf8'));
const L = DEFAULT_XML_LIMITS;
/** The most steps any body may cost (see XmlRead.work): events times the deepest walk saxes can make. */
const WORK_CEILING = L.maxEvents * (L.maxDepth + 2);

const many = (n: number, make: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => make(i)).join('');

describe('readXml', () => {
  it('reads a body into a namespace-resolved tree, text, CDATA and references merged', () => {
    const result = read(
      '\uFEFF<?xml version="1.0"?><!-- c --><D:lockinfo xmlns:D="DAV:"><D:owner>' +
        '<x:href xmlns:x="urn:x" x:a="1" b="&lt;">me &amp; <![CDATA[<you>]]>&#65;</x:href></D:owner></D:lockinfo>',
    );
    expect(result.kind === 'ok' && result.root).toEqual({
      kind: 'element',
      namespace: 'DAV:',
      local: 'lockinfo',
      attributes: [],
      children: [
        {
          kind: 'element',
          namespace: 'DAV:',
          local: 'owner',
          attributes: [],
          children: [
            {
              kind: 'element',
              namespace: 'urn:x',
              local: 'href',
              attributes: [
                { namespace: 'urn:x', local: 'a', value: '1' },
                { namespace: '', local: 'b', value: '<' },
              ],
              children: [{ kind: 'text', text: 'me & <you>A' }],
            },
          ],
        },
      ],
    });
  });

  it.each([
    [
      'a DOCTYPE (billion laughs)',
      '<!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]><a>&y;</a>',
      'DOCTYPE',
    ],
    ['an external entity', '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', 'DOCTYPE'],
    ['an undefined entity', '<a>&x;</a>', 'entity'],
    [
      'an undeclared prefix',
      '<propertyupdate xmlns="DAV:"><set><prop><x:a/></prop></set></propertyupdate>',
      'unbound',
    ],
    ['an unbound prefix', '<p:a xmlns:p=""/>', 'undefine'],
    ['two roots', '<a/><b/>', 'root'],
    ['no root', '<!-- only -->', 'root'],
    ['a control character', '<a>\u0001</a>', 'character'],
    ['a reference to a control character', '<a>&#1;</a>', 'entity'],
    ['unbalanced tags', '<a><b></a></b>', 'tag'],
    ['an unquoted attribute', '<a b=c/>', 'quote'],
    ['a duplicate attribute', '<a b="1" b="2"/>', 'duplicate'],
    ['repeated "<?"', '<?'.repeat(10_000), 'processing instruction'],
  ])('refuses %s', (_what, body, reason) => {
    const result = read(body);
    expect(result.kind).toBe('invalid');
    expect(result.kind !== 'ok' && result.reason).toContain(reason);
  });

  it('joins a run of 40,000 texts and CDATA sections into one text node, once', () => {
    const result = read(`<a>${'x<![CDATA[y]]><!---->'.repeat(16_000)}<b/>z</a>`);
    expect(result.kind === 'ok' && result.root.children.map((child) => child.kind)).toEqual([
      'text',
      'element',
      'text',
    ]);
    const [first] = result.kind === 'ok' ? result.root.children : [];
    expect(first?.kind === 'text' && first.text).toBe('xy'.repeat(16_000));
  });

  it('refuses a body that is not UTF-8', () => {
    expect(readXml(Buffer.from([0x3c, 0x61, 0xff, 0x2f, 0x3e])).kind).toBe('invalid');
  });

  it.each([
    [
      '40,000 namespace prefixes on the root, then deep nesting',
      `<a ${many(40_000, (i) => `xmlns:p${i}="u" `)}>${'<p1:b>'.repeat(5000)}`,
      'namespaces',
    ],
    ['deep nesting', '<a>'.repeat(100_000), 'deeper'],
    ['a flat flood of elements', `<a>${'<b/>'.repeat(100_000)}</a>`, 'elements'],
    ['an element with 50,000 attributes', `<a ${many(50_000, (i) => `a${i}="" `)}/>`, 'attributes'],
    ['attributes across elements', `<a>${'<b x="" y="" z=""/>'.repeat(5_000)}</a>`, 'attributes'],
    ['namespaces on one element', `<a ${many(20, (i) => `xmlns:p${i}="u" `)}/>`, 'namespaces'],
    ['a long namespace URI', `<a xmlns="${'u'.repeat(2000)}"/>`, 'namespace URI'],
    ['a long attribute value', `<a b="${'v'.repeat(10_000)}"/>`, 'attribute value'],
    ['a long text', `<a>${'t'.repeat(300_000)}</a>`, 'text'],
    ['a long text from references', `<a>${'&#x10000;'.repeat(70_000)}</a>`, 'text'],
    ['a flood of comments', `<a>${'<!---->'.repeat(60_000)}</a>`, 'parts'],
  ])('stops %s at its limit, at bounded work', (_what, body, reason) => {
    const result = read(body);
    expect(result.kind).toBe('over-limit');
    expect(result.kind === 'over-limit' && result.status).toBe(400);
    expect(result.kind !== 'ok' && result.reason).toContain(reason);
    expect(result.work).toBeLessThanOrEqual(WORK_CEILING);
  });

  it('stops the namespace flood at the 17th declaration, before any element is nested', () => {
    const result = read(`<a ${many(40_000, (i) => `xmlns:p${i}="u" `)}>${'<p1:b>'.repeat(5000)}`);
    expect(result.kind !== 'ok' && result.reason).toContain('more than 16 namespaces');
    expect(result.work).toBeLessThanOrEqual(L.maxNamespaceDeclarationsPerElement + 2);
  });

  it('stops namespace declarations spread over elements at 64 in all', () => {
    const element = (n: number) => `<e${n} ${many(16, (i) => `xmlns:p${n}x${i}="u" `)}>`;
    const result = read(`${many(5, element)}`);
    expect(result.kind !== 'ok' && result.reason).toContain('more than 64 namespaces');
  });

  it('answers 413 for a body over its byte limit, before reading it', () => {
    const result = readXml(Buffer.from(`<a>${'x'.repeat(100)}</a>`), { ...L, maxBytes: 50 });
    expect(result).toEqual({
      kind: 'over-limit',
      status: 413,
      reason: 'the XML body is larger than 50 bytes',
      work: 0,
    });
  });

  /** Pieces an attacker strings together: markup, names, prefixes, references, declarations. */
  const piece = fc.oneof(
    fc.constantFrom(
      '<a>',
      '</a>',
      '<p:b>',
      '</p:b>',
      '<c/>',
      '<?',
      '?>',
      '<!--',
      '-->',
      '<![CDATA[',
      ']]>',
      '&amp;',
      '&lt;',
      '&#65;',
      '&x;',
      '<!DOCTYPE a>',
      ' xmlns:p="urn:p"',
      ' xmlns="urn:d"',
      ' a="1"',
      ' p:a="1"',
      '>',
      '/>',
      '"',
      ' ',
    ),
    fc.string({ maxLength: 8 }),
  );
  const hostileBody = fc.oneof(
    fc.array(piece, { maxLength: 400 }).map((pieces) => pieces.join('')),
    // A root declaring many prefixes, then deep, wide nesting that uses them.
    fc
      .record({
        prefixes: fc.integer({ min: 0, max: 300 }),
        depth: fc.integer({ min: 0, max: 200 }),
        width: fc.integer({ min: 0, max: 300 }),
        attributes: fc.integer({ min: 0, max: 80 }),
      })
      .map(
        ({ prefixes, depth, width, attributes }) =>
          `<r ${many(prefixes, (i) => `xmlns:p${i}="urn:${i}" `)}>` +
          '<p0:d>'.repeat(depth) +
          many(width, (i) => `<p${i % Math.max(1, prefixes)}:w ${many(attributes, (j) => `a${j}="" `)}/>`) +
          '</p0:d>'.repeat(depth) +
          '</r>',
      ),
  );

  it('never throws, and its work is linear in the body, for any hostile body (fast-check)', () => {
    fc.assert(
      fc.property(hostileBody, (body) => {
        const bytes = Buffer.byteLength(body, 'utf8');
        const result = read(body);
        expect(['ok', 'invalid', 'over-limit']).toContain(result.kind);
        // Each step is one event or one level of one prefix lookup: at most maxDepth + 2 per byte read.
        expect(result.work).toBeLessThanOrEqual((L.maxDepth + 2) * (bytes + 1));
        expect(result.work).toBeLessThanOrEqual(WORK_CEILING);
      }),
      { numRuns: 300 },
    );
  });
});
