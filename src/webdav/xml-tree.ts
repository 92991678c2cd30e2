/**
 * A small namespace-aware XML reader for WebDAV request bodies (PROPPATCH, LOCK), keeping text and child
 * elements so dead property values can be stored and given back. Bodies are small (the engine caps them) and
 * have already passed `checkXmlBody`; anything this reader does not understand (DOCTYPE, an undeclared
 * prefix, an unknown entity, unbalanced tags) is an error, never a guess. Pure.
 */
export interface XmlElement {
  readonly kind: 'element';
  readonly namespace: string;
  readonly local: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
}

export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlAttribute {
  /** '' for an unprefixed attribute (no namespace). */
  readonly namespace: string;
  readonly local: string;
  readonly value: string;
}

export type XmlParse =
  { readonly kind: 'ok'; readonly root: XmlElement } | { readonly kind: 'invalid'; readonly reason: string };

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

const NAME = /[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface OpenElement {
  readonly qualifiedName: string;
  readonly scope: ReadonlyMap<string, string>;
  readonly namespace: string;
  readonly local: string;
  readonly attributes: XmlAttribute[];
  readonly children: XmlNode[];
}

class XmlSyntaxError extends Error {}

export function parseXmlTree(input: string): XmlParse {
  try {
    return { kind: 'ok', root: new Reader(input.replace(/^\uFEFF/, '')).document() };
  } catch (error) {
    if (error instanceof XmlSyntaxError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
}

class Reader {
  private offset = 0;

  constructor(private readonly text: string) {}

  document(): XmlElement {
    const stack: OpenElement[] = [];
    let root: XmlElement | undefined;
    while (this.offset < this.text.length) {
      const open = stack.at(-1);
      if (this.skip('<?')) this.until('?>');
      else if (this.skip('<!--')) this.until('-->');
      else if (this.skip('<![CDATA[')) this.addText(open, this.until(']]>'));
      else if (this.text.startsWith('<!', this.offset)) throw new XmlSyntaxError('DOCTYPE is not accepted');
      else if (this.skip('</')) {
        const name = this.name();
        this.spaces();
        this.expect('>');
        const closed = stack.pop();
        if (closed === undefined || closed.qualifiedName !== name)
          throw new XmlSyntaxError(`unexpected </${name}>`);
        const element = finish(closed);
        const parent = stack.at(-1);
        if (parent) parent.children.push(element);
        else root = element;
      } else if (this.skip('<')) {
        if (open === undefined && root !== undefined) throw new XmlSyntaxError('more than one root element');
        const { element, selfClosing } = this.startTag(open?.scope ?? new Map([['xml', XML_NAMESPACE]]));
        if (!selfClosing) stack.push(element);
        else if (open) open.children.push(finish(element));
        else root = finish(element);
      } else {
        const end = this.text.indexOf('<', this.offset);
        const raw = this.text.slice(this.offset, end === -1 ? undefined : end);
        this.offset += raw.length;
        if (open === undefined) {
          if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element');
        } else this.addText(open, decodeEntities(raw));
      }
    }
    if (stack.length > 0) throw new XmlSyntaxError(`<${stack.at(-1)?.qualifiedName}> is never closed`);
    if (root === undefined) throw new XmlSyntaxError('no root element');
    return root;
  }

  private startTag(parentScope: ReadonlyMap<string, string>): { element: OpenElement; selfClosing: boolean } {
    const qualifiedName = this.name();
    const rawAttributes: { name: string; value: string }[] = [];
    for (;;) {
      const hadSpace = this.spaces();
      if (this.skip('/>'))
        return { element: this.open(qualifiedName, rawAttributes, parentScope), selfClosing: true };
      if (this.skip('>'))
        return { element: this.open(qualifiedName, rawAttributes, parentScope), selfClosing: false };
      if (!hadSpace) throw new XmlSyntaxError(`malformed tag <${qualifiedName}>`);
      const name = this.name();
      this.spaces();
      this.expect('=');
      this.spaces();
      const quote = this.text[this.offset];
      if (quote !== '"' && quote !== "'") throw new XmlSyntaxError(`unquoted attribute ${name}`);
      this.offset++;
      const end = this.text.indexOf(quote, this.offset);
      if (end === -1) throw new XmlSyntaxError(`unterminated attribute ${name}`);
      const value = this.text.slice(this.offset, end);
      if (value.includes('<')) throw new XmlSyntaxError(`'<' in attribute ${name}`);
      this.offset = end + 1;
      if (rawAttributes.some((attribute) => attribute.name === name))
        throw new XmlSyntaxError(`duplicate attribute ${name}`);
      rawAttributes.push({ name, value: decodeEntities(value) });
    }
  }

  private open(
    qualifiedName: string,
    rawAttributes: readonly { name: string; value: string }[],
    parentScope: ReadonlyMap<string, string>,
  ): OpenElement {
    const scope = new Map(parentScope);
    for (const { name, value } of rawAttributes) {
      if (name === 'xmlns') scope.set('', value);
      else if (name.startsWith('xmlns:')) {
        if (value === '') throw new XmlSyntaxError(`namespace prefix ${name.slice(6)} bound to an empty URI`);
        scope.set(name.slice(6), value);
      }
    }
    const [prefix, local] = splitName(qualifiedName);
    const namespace = scope.get(prefix) ?? '';
    if (prefix !== '' && !scope.has(prefix))
      throw new XmlSyntaxError(`undeclared namespace prefix ${prefix}`);
    const attributes: XmlAttribute[] = [];
    for (const { name, value } of rawAttributes) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      const [attributePrefix, attributeLocal] = splitName(name);
      const attributeNamespace = attributePrefix === '' ? '' : scope.get(attributePrefix);
      if (attributeNamespace === undefined)
        throw new XmlSyntaxError(`undeclared namespace prefix ${attributePrefix}`);
      attributes.push({ namespace: attributeNamespace, local: attributeLocal, value });
    }
    return { qualifiedName, scope, namespace, local, attributes, children: [] };
  }

  private addText(open: OpenElement | undefined, text: string): void {
    if (open === undefined) {
      if (text.trim() !== '') throw new XmlSyntaxError('text outside the root element');
      return;
    }
    const last = open.children.at(-1);
    if (last?.kind === 'text')
      open.children[open.children.length - 1] = { kind: 'text', text: last.text + text };
    else if (text !== '') open.children.push({ kind: 'text', text });
  }

  private name(): string {
    NAME.lastIndex = this.offset;
    const first = NAME.exec(this.text);
    if (first === null) throw new XmlSyntaxError('malformed name');
    this.offset = NAME.lastIndex;
    if (this.text[this.offset] !== ':') return first[0];
    NAME.lastIndex = this.offset + 1;
    const second = NAME.exec(this.text);
    if (second === null) throw new XmlSyntaxError(`malformed name ${first[0]}:`);
    this.offset = NAME.lastIndex;
    return `${first[0]}:${second[0]}`;
  }

  private spaces(): boolean {
    const start = this.offset;
    while (/\s/.test(this.text[this.offset] ?? '')) this.offset++;
    return this.offset > start;
  }

  private skip(literal: string): boolean {
    if (!this.text.startsWith(literal, this.offset)) return false;
    this.offset += literal.length;
    return true;
  }

  private expect(literal: string): void {
    if (!this.skip(literal)) throw new XmlSyntaxError(`expected '${literal}'`);
  }

  private until(terminator: string): string {
    const end = this.text.indexOf(terminator, this.offset);
    if (end === -1) throw new XmlSyntaxError(`missing '${terminator}'`);
    const content = this.text.slice(this.offset, end);
    this.offset = end + terminator.length;
    return content;
  }
}

function finish(open: OpenElement): XmlElement {
  return {
    kind: 'element',
    namespace: open.namespace,
    local: open.local,
    attributes: open.attributes,
    children: open.children,
  };
}

function splitName(qualifiedName: string): [prefix: string, local: string] {
  const colon = qualifiedName.indexOf(':');
  return colon === -1 ? ['', qualifiedName] : [qualifiedName.slice(0, colon), qualifiedName.slice(colon + 1)];
}

function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&\s]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new XmlSyntaxError("'&' without a ';'");
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    const codePoint = numeric ? parseInt(numeric[1] ?? numeric[2] ?? '', numeric[1] ? 16 : 10) : NaN;
    if (!isAllowedCodePoint(codePoint)) throw new XmlSyntaxError(`unknown or invalid entity &${name};`);
    return String.fromCodePoint(codePoint);
  });
}

function isAllowedCodePoint(codePoint: number): boolean {
  if (!Number.isInteger(codePoint)) return false;
  if (codePoint === 0x9 || codePoint === 0xa || codePoint === 0xd) return true;
  if (codePoint >= 0x20 && codePoint <= 0xd7ff) return true;
  if (codePoint >= 0xe000 && codePoint <= 0xfffd) return true;
  return codePoint >= 0x10000 && codePoint <= 0x10ffff;
}

/** The elements among a node's children (text, usually whitespace, dropped). */
export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => child.kind === 'element');
}

export function isElement(element: XmlElement | undefined, namespace: string, local: string): boolean {
  return element !== undefined && element.namespace === namespace && element.local === local;
}

/**
 * Children serialized so they read the same wherever they are pasted: every element declares its own
 * default namespace and any attribute namespace it uses. Used to store and give back dead property values.
 */
export function serializeChildren(children: readonly XmlNode[]): string {
  return children.map(serializeNode).join('');
}

function serializeNode(node: XmlNode): string {
  if (node.kind === 'text') return escapeText(node.text);
  const { attributes, declarations } = serializeAttributes(node.attributes);
  const open = `${node.local} xmlns="${escapeAttribute(node.namespace)}"${declarations}${attributes}`;
  return node.children.length === 0
    ? `<${open}/>`
    : `<${open}>${serializeChildren(node.children)}</${node.local}>`;
}

/** Attributes of an element (its namespace declarations excluded) as ` name="value"` text. */
export function serializeAttributes(list: readonly XmlAttribute[]): {
  attributes: string;
  declarations: string;
} {
  let attributes = '';
  let declarations = '';
  list.forEach((attribute, index) => {
    const value = escapeAttribute(attribute.value);
    if (attribute.namespace === '') attributes += ` ${attribute.local}="${value}"`;
    else if (attribute.namespace === XML_NAMESPACE) attributes += ` xml:${attribute.local}="${value}"`;
    else {
      declarations += ` xmlns:a${index}="${escapeAttribute(attribute.namespace)}"`;
      attributes += ` a${index}:${attribute.local}="${value}"`;
    }
  });
  return { attributes, declarations };
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}
