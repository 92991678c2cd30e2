import type { PropertyName } from '../properties/dead-property';
import { DAV_NAMESPACE, childElements, isElement, type XmlElement } from '../xml/xml-node';

export type { PropertyName };

/** What a PROPFIND body asks for (RFC 4918 §14.20). */
export type PropfindRequest =
  /** `include` names properties allprop leaves out; ours has none, so only those that do not exist matter. */
  | { readonly kind: 'allprop'; readonly include: readonly PropertyName[] }
  | { readonly kind: 'propname' }
  | { readonly kind: 'prop'; readonly names: readonly PropertyName[] };

export type PropfindBody = PropfindRequest | { readonly kind: 'invalid'; readonly reason: string };

/**
 * How many property names, and how many bytes of them, one PROPFIND may ask for. Each name is written for
 * every entry of a Depth 1 answer, so these bound the answer per entry, whatever the body. Clients ask for a
 * dozen or two.
 */
export const MAX_REQUESTED_PROPERTIES = 256;
export const MAX_REQUESTED_NAME_BYTES = 16 * 1024;

/**
 * Reads a PROPFIND body's root (undefined: an empty body, which means allprop). Elements of other
 * namespaces are ignored (RFC 4918 §17); anything else is invalid (400). Pure.
 */
export function readPropfindBody(root: XmlElement | undefined): PropfindBody {
  if (root === undefined) return { kind: 'allprop', include: [] };
  if (!isElement(root, DAV_NAMESPACE, 'propfind'))
    return { kind: 'invalid', reason: 'the body is not a DAV:propfind' };
  const children = childElements(root).filter((child) => child.namespace === DAV_NAMESPACE);
  const [first, ...rest] = children;
  if (first === undefined)
    return { kind: 'invalid', reason: 'the propfind names no allprop, propname or prop' };
  if (first.local === 'propname' && rest.length === 0) return { kind: 'propname' };
  if (first.local === 'prop' && rest.length === 0) return named('prop', first);
  if (first.local === 'allprop') {
    const [include, ...more] = rest;
    if (include === undefined) return { kind: 'allprop', include: [] };
    if (more.length === 0 && include.local === 'include') return named('allprop', include);
  }
  return {
    kind: 'invalid',
    reason: 'the propfind must hold one allprop (with an include), propname or prop',
  };
}

function named(kind: 'prop' | 'allprop', list: XmlElement): PropfindBody {
  const names = new Map<string, PropertyName>();
  let bytes = 0;
  for (const { namespace, local } of childElements(list)) {
    const key = `${namespace}\n${local}`;
    if (names.has(key)) continue;
    names.set(key, { namespace, local });
    bytes += Buffer.byteLength(key, 'utf8');
    if (names.size > MAX_REQUESTED_PROPERTIES || bytes > MAX_REQUESTED_NAME_BYTES)
      return {
        kind: 'invalid',
        reason: `a PROPFIND may ask for at most ${MAX_REQUESTED_PROPERTIES} properties of ${MAX_REQUESTED_NAME_BYTES} bytes in all`,
      };
  }
  const requested = [...names.values()];
  return kind === 'prop' ? { kind, names: requested } : { kind, include: requested };
}
