import { readXml } from '../../../../src/webdav/xml/xml-reader';
import { childElements, isElement, type XmlElement, type XmlNode } from '../../../../src/webdav/xml/xml-node';

export interface PropstatView {
  readonly status: string;
  readonly props: readonly XmlElement[];
}

export interface ResponseView {
  readonly href: string;
  readonly propstats: readonly PropstatView[];
}

/**
 * A multistatus body read strictly (the engine's own limited reader, which is saxes: any body that is not
 * well-formed, namespace-well-formed XML fails the spec), as responses with their propstats.
 */
export function readMultistatus(body: Buffer | string): ResponseView[] {
  const read = readXml(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), {
    maxBytes: 1024 * 1024 * 1024,
    maxDepth: 64,
    maxElements: 10_000_000,
    maxAttributesPerElement: 64,
    maxAttributes: 10_000_000,
    maxNamespaceDeclarationsPerElement: 1024,
    maxNamespaceDeclarations: 10_000_000,
    maxNamespaceBytes: 1024 * 1024,
    maxAttributeValueBytes: 1024 * 1024,
    maxTextBytes: 1024 * 1024,
    maxEvents: 100_000_000,
  });
  if (read.kind !== 'ok') throw new Error(`not well-formed XML: ${read.reason}`);
  if (!isElement(read.root, 'DAV:', 'multistatus')) throw new Error('not a DAV:multistatus');
  return childElements(read.root).map((response) => ({
    href: textOf(childElements(response).find((child) => isElement(child, 'DAV:', 'href'))),
    propstats: childElements(response)
      .filter((child) => isElement(child, 'DAV:', 'propstat'))
      .map((propstat) => ({
        status: textOf(childElements(propstat).find((child) => isElement(child, 'DAV:', 'status'))),
        props: childElements(
          childElements(propstat).find((child) => isElement(child, 'DAV:', 'prop')) ?? propstat,
        ),
      })),
  }));
}

/** The property `{namespace}local` with the given status in a response, in canonical form, or undefined. */
export function propertyOf(
  response: ResponseView | undefined,
  namespace: string,
  local: string,
  status = '200',
): string | undefined {
  for (const propstat of response?.propstats ?? []) {
    if (!propstat.status.includes(` ${status} `)) continue;
    const found = propstat.props.find((prop) => isElement(prop, namespace, local));
    if (found !== undefined) return canonical(found);
  }
  return undefined;
}

/** A node in Clark notation, prefixes gone: `<{ns}local a="v">children</>`; text as is. */
export function canonical(node: XmlNode): string {
  if (node.kind === 'text') return node.text;
  const attributes = node.attributes.map((a) => ` {${a.namespace}}${a.local}="${a.value}"`).join('');
  return `<{${node.namespace}}${node.local}${attributes}>${node.children.map(canonical).join('')}</>`;
}

function textOf(element: XmlElement | undefined): string {
  return element?.children.map((child) => (child.kind === 'text' ? child.text : '')).join('') ?? '';
}
