/**
 * The immutable tree the XML reader produces for a guest's request body (PROPFIND, PROPPATCH, LOCK): elements
 * by namespace URI and local name, their attributes (namespace declarations excluded), and text. Prefixes are
 * gone: they mean nothing once names are resolved, and output declares its own.
 */
export interface XmlElement {
  readonly kind: 'element';
  /** '' for an element in no namespace. */
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

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
export const DAV_NAMESPACE = 'DAV:';

/** The elements among a node's children (text, usually whitespace, dropped). */
export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => child.kind === 'element');
}

export function isElement(element: XmlElement | undefined, namespace: string, local: string): boolean {
  return element !== undefined && element.namespace === namespace && element.local === local;
}
