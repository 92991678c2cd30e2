import { escapeXml, escapeXmlAttribute } from './xml-escape';
import { DAV_NAMESPACE, XML_NAMESPACE, type XmlAttribute, type XmlNode } from './xml-node';

/**
 * Prefixes for the namespaces of guest XML written back out (dead property values, lock owners, property
 * names). A scope hands out short prefixes (`stem` + a number) and declares each namespace once, on the
 * element the caller opens with `declarations()`; DAV: is always `D` (bound on every response's root) and the
 * XML namespace `xml`. Responses never declare a default namespace, so an element in no namespace is written
 * unprefixed. This is what keeps output linear in input: a namespace is written once per scope, never once
 * per element.
 */
export class NamespaceScope {
  private readonly added = new Map<string, string>();

  constructor(
    private readonly stem: string,
    private readonly parent?: NamespaceScope,
  ) {}

  /** The prefix for a namespace URI ('' for no namespace), declaring it in this scope if need be. */
  prefixOf(namespace: string): string {
    if (namespace === '') return '';
    if (namespace === DAV_NAMESPACE) return 'D';
    if (namespace === XML_NAMESPACE) return 'xml';
    const known = this.lookup(namespace);
    if (known !== undefined) return known;
    const prefix = `${this.stem}${this.added.size}`;
    this.added.set(namespace, prefix);
    return prefix;
  }

  /** ` xmlns:p="uri"` for each namespace this scope declared, for its opening tag. */
  declarations(): string {
    let text = '';
    for (const [namespace, prefix] of this.added)
      text += ` xmlns:${prefix}="${escapeXmlAttribute(namespace)}"`;
    return text;
  }

  /** A qualified name: `prefix:local`, or `local` in no namespace. */
  qualified(namespace: string, local: string): string {
    const prefix = this.prefixOf(namespace);
    return prefix === '' ? local : `${prefix}:${local}`;
  }

  private lookup(namespace: string): string | undefined {
    return this.added.get(namespace) ?? this.parent?.lookup(namespace);
  }
}

/** Nodes as XML, their names prefixed through `scope` (whose declarations the caller writes). */
export function serializeNodes(nodes: readonly XmlNode[], scope: NamespaceScope): string {
  let text = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      text += escapeXml(node.text);
      continue;
    }
    const name = scope.qualified(node.namespace, node.local);
    const open = name + serializeAttributes(node.attributes, scope);
    text +=
      node.children.length === 0
        ? `<${open}/>`
        : `<${open}>${serializeNodes(node.children, scope)}</${name}>`;
  }
  return text;
}

/** Attributes as ` name="value"` text, prefixed through `scope`. */
export function serializeAttributes(attributes: readonly XmlAttribute[], scope: NamespaceScope): string {
  let text = '';
  for (const attribute of attributes)
    text += ` ${scope.qualified(attribute.namespace, attribute.local)}="${escapeXmlAttribute(attribute.value)}"`;
  return text;
}

/** What the engine charges for keeping a node in memory: a fixed cost per node plus its strings. */
export const NODE_OVERHEAD_BYTES = 32;

/**
 * Bytes charged for keeping nodes: `nodeOverhead` (NODE_OVERHEAD_BYTES unless told) per element, attribute
 * and text, the UTF-8 bytes of their names, values and text, and each distinct namespace URI once (the tree
 * shares one string per URI).
 */
export function fragmentCost(
  nodes: readonly XmlNode[],
  namespaces = new Set<string>(),
  nodeOverhead = NODE_OVERHEAD_BYTES,
): number {
  let cost = 0;
  for (const node of nodes) {
    cost += nodeOverhead;
    if (node.kind === 'text') {
      cost += Buffer.byteLength(node.text, 'utf8');
      continue;
    }
    cost += Buffer.byteLength(node.local, 'utf8') + namespaceCost(node.namespace, namespaces);
    cost += attributesCost(node.attributes, namespaces, nodeOverhead);
    cost += fragmentCost(node.children, namespaces, nodeOverhead);
  }
  return cost;
}

export function attributesCost(
  attributes: readonly XmlAttribute[],
  namespaces = new Set<string>(),
  nodeOverhead = NODE_OVERHEAD_BYTES,
): number {
  let cost = 0;
  for (const attribute of attributes)
    cost +=
      nodeOverhead +
      Buffer.byteLength(attribute.local, 'utf8') +
      Buffer.byteLength(attribute.value, 'utf8') +
      namespaceCost(attribute.namespace, namespaces);
  return cost;
}

function namespaceCost(namespace: string, seen: Set<string>): number {
  if (seen.has(namespace)) return 0;
  seen.add(namespace);
  return Buffer.byteLength(namespace, 'utf8');
}
