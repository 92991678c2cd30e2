import { fragmentCost, serializeAttributes, serializeNodes, type NamespaceScope } from '../xml/xml-fragment';
import type { XmlAttribute, XmlNode } from '../xml/xml-node';

/** A property name: its namespace URI ('' for none) and local name. */
export interface PropertyName {
  readonly namespace: string;
  readonly local: string;
}

/**
 * A property the guest stored with PROPPATCH, kept as the immutable tree the reader made (names resolved,
 * prefixes gone), so it is written back in any scope with each namespace declared once (see NamespaceScope).
 */
export interface DeadProperty extends PropertyName {
  /** Attributes of the property element itself (e.g. xml:lang). */
  readonly attributes: readonly XmlAttribute[];
  readonly value: readonly XmlNode[];
}

/** The key a property is stored under: namespace and local name, unambiguous for any namespace URI. */
export function propertyKey(name: PropertyName): string {
  return `${name.namespace}\n${name.local}`;
}

/** Bytes a property costs in the store (what the budgets count): its name, namespace, attributes and value. */
export function propertyCost(property: DeadProperty): number {
  const namespaces = new Set<string>();
  return (
    fragmentCost([{ kind: 'element', ...property, children: [] }], namespaces) +
    fragmentCost(property.value, namespaces)
  );
}

/** The property element with its value, its names prefixed through `scope`. */
export function deadPropertyXml(property: DeadProperty, scope: NamespaceScope): string {
  const name = scope.qualified(property.namespace, property.local);
  const open = name + serializeAttributes(property.attributes, scope);
  return property.value.length === 0
    ? `<${open}/>`
    : `<${open}>${serializeNodes(property.value, scope)}</${name}>`;
}

/** The empty property element, for propname answers and PROPPATCH/PROPFIND status lists. */
export function emptyPropertyXml(name: PropertyName, scope: NamespaceScope): string {
  return `<${scope.qualified(name.namespace, name.local)}/>`;
}
