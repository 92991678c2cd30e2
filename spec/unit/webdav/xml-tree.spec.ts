import fc from 'fast-check';
import {
  childElements,
  parseXmlTree,
  serializeChildren,
  type XmlElement,
} from '../../../src/webdav/xml-tree';

function root(xml: string): XmlElement {
  const parsed = parseXmlTree(xml);
  if (parsed.kind !== 'ok') throw new Error(parsed.reason);
  return parsed.root;
}

describe('parseXmlTree', () => {
  it('resolves default and prefixed namespaces, and xmlns="" undeclaring the default', () => {
    const tree = root(
      '<?xml version="1.0"?><D:a xmlns:D="DAV:" xmlns="urn:x"><b/><c xmlns=""/><D:d z:q="1" xmlns:z="urn:z"/></D:a>',
    );
    expect(tree).toMatchObject({ namespace: 'DAV:', local: 'a' });
    expect(childElements(tree).map(({ namespace, local }) => `${namespace}|${local}`)).toEqual([
      'urn:x|b',
      '|c',
      'DAV:|d',
    ]);
    expect(childElements(tree)[2]?.attributes).toEqual([{ namespace: 'urn:z', local: 'q', value: '1' }]);
  });

  it('decodes entities (including characters above U+FFFF) and CDATA, and skips comments', () => {
    const tree = root('<a>&lt;&amp;&#65536;&#x41;<!-- no --><![CDATA[<raw>]]>&apos;</a>');
    expect(tree.children).toEqual([{ kind: 'text', text: "<&\u{10000}A<raw>'" }]);
  });

  it.each([
    ['<a>', 'never closed'],
    ['<a></b>', 'unexpected </b>'],
    ['<a/><b/>', 'more than one root'],
    ['text<a/>', 'text outside'],
    ['<x:a/>', 'undeclared namespace prefix x'],
    ['<a x:b="1"/>', 'undeclared namespace prefix x'],
    ['<a xmlns:x=""/>', 'empty URI'],
    ['<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 'DOCTYPE'],
    ['<a>&e;</a>', 'unknown or invalid entity'],
    ['<a>&#0;</a>', 'unknown or invalid entity'],
    ['<a>&amp</a>', "'&' without a ';'"],
    ['<a b=1/>', 'unquoted'],
    ['<a b="1" b="2"/>', 'duplicate attribute'],
    ['', 'no root element'],
  ])('refuses %j (%s)', (xml, reason) => {
    const parsed = parseXmlTree(xml);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.reason).toContain(reason);
  });

  it('never throws, whatever the text', () => {
    const piece = fc.constantFrom(
      '<',
      '>',
      '/',
      'a',
      'b:c',
      '="x"',
      ' ',
      '&',
      ';',
      '#65;',
      '<![CDATA[',
      ']]>',
      'xmlns:b="u"',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        expect(['ok', 'invalid']).toContain(parseXmlTree(parts.join('')).kind);
      }),
    );
  });
});

describe('serializeChildren', () => {
  it('gives back text escaped and elements with their own namespace declarations', () => {
    const tree = root('<p xmlns:t="urn:t"><t:x a="1&quot;" xml:lang="en">&lt;v&gt;</t:x>tail<y/></p>');
    expect(serializeChildren(tree.children)).toBe(
      '<x xmlns="urn:t" a="1&quot;" xml:lang="en">&lt;v&gt;</x>tail<y xmlns=""/>',
    );
  });

  it('reads back to the same tree', () => {
    const tree = root('<p xmlns="urn:a"><q xmlns:z="urn:z" z:k="v"><r xmlns="">t</r></q></p>');
    const again = root(`<w>${serializeChildren(tree.children)}</w>`);
    expect(again.children).toEqual(tree.children);
  });
});
