import { escapeXml } from '../propfind/xml-escape';

/** A property name: its namespace URI ('' for none) and local name. */
export interface PropertyName {
  readonly namespace: string;
  readonly local: string;
}

/**
 * A property the guest stored with PROPPATCH. The value is kept as self-contained XML (every element declares
 * its namespaces), so it is given back exactly, wherever the PROPFIND answer puts it.
 */
export interface DeadProperty extends PropertyName {
  /** Attributes of the property element itself (e.g. xml:lang), as ` name="value"` text. */
  readonly attributesXml: string;
  readonly valueXml: string;
}

/** The key a property is stored under: namespace and local name, unambiguous for any namespace URI. */
export function propertyKey(name: PropertyName): string {
  return `${name.namespace}\n${name.local}`;
}

/** Bytes a property costs in the store (what the store's budget counts). */
export function propertyCost(property: DeadProperty): number {
  return (
    property.namespace.length +
    property.local.length +
    property.attributesXml.length +
    property.valueXml.length
  );
}

/** The property element with its value, for a PROPFIND answer (prefix D may be bound to DAV: outside). */
export function deadPropertyXml(property: DeadProperty): string {
  const open = openTag(property);
  const content = property.attributesXml + (property.valueXml === '' ? '/>' : `>${property.valueXml}`);
  return property.valueXml === '' ? `<${open}${content}` : `<${open}${content}</${closeTag(property)}>`;
}

/** The empty property element, for propname answers and PROPPATCH/PROPFIND status lists. */
export function emptyPropertyXml(name: PropertyName): string {
  return `<${openTag(name)}/>`;
}

function openTag(name: PropertyName): string {
  if (name.namespace === 'DAV:') return `D:${name.local}`;
  if (name.namespace === '') return `${name.local} xmlns=""`;
  return `P:${name.local} xmlns:P="${escapeXml(name.namespace)}"`;
}

function closeTag(name: PropertyName): string {
  if (name.namespace === 'DAV:') return `D:${name.local}`;
  if (name.namespace === '') return name.local;
  return `P:${name.local}`;
}
