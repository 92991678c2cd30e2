/** A property name: its namespace URI ('' for none) and local name. */
export interface PropertyName {
  readonly namespace: string;
  readonly local: string;
}

/** What a PROPFIND body asks for, in the forms the fast path answers itself. */
export type PropfindRequest =
  | { readonly kind: 'allprop' }
  | { readonly kind: 'propname' }
  | { readonly kind: 'prop'; readonly names: readonly PropertyName[] };

const DAV = 'DAV:';
const TAG =
  /<(\/?)([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const SKIPPED = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|[^<]+/y;

interface Element {
  readonly namespace: string;
  readonly local: string;
  readonly children: Element[];
}

/**
 * Reads a PROPFIND body (already checked to be well-formed XML) into the forms answered by the fast path:
 * an empty body or allprop, propname, or a list of properties. Anything else (allprop with include, entities,
 * CDATA, unknown structure) is undefined, and the request goes to the full engine.
 */
export function parsePropfindBody(body: string): PropfindRequest | undefined {
  if (body.trim() === '') return { kind: 'allprop' };
  const root = parseElements(body);
  if (root === undefined || root.namespace !== DAV || root.local !== 'propfind') return undefined;
  const [only, ...rest] = root.children;
  if (only === undefined || rest.length > 0 || only.namespace !== DAV) return undefined;
  if (only.local === 'allprop' && only.children.length === 0) return { kind: 'allprop' };
  if (only.local === 'propname' && only.children.length === 0) return { kind: 'propname' };
  if (only.local === 'prop' && only.children.every((child) => child.children.length === 0)) {
    return { kind: 'prop', names: only.children.map(({ namespace, local }) => ({ namespace, local })) };
  }
  return undefined;
}

/** A tiny namespace-aware element reader for small request bodies; text content is ignored. */
function parseElements(xml: string): Element | undefined {
  const stack: { element: Element; scope: Map<string, string> }[] = [];
  let root: Element | undefined;
  let offset = 0;
  while (offset < xml.length) {
    SKIPPED.lastIndex = offset;
    const skipped = SKIPPED.exec(xml);
    if (skipped !== null) {
      // Comments and processing instructions anywhere, text only inside the root (whitespace outside).
      const isMarkup = skipped[0].startsWith('<');
      if (!isMarkup && skipped[0].trim() !== '' && stack.length === 0) return undefined;
      offset = SKIPPED.lastIndex;
      continue;
    }
    TAG.lastIndex = offset;
    const tag = TAG.exec(xml);
    if (tag === null) return undefined; // CDATA, DOCTYPE or anything else: not ours to read
    offset = TAG.lastIndex;
    const [, closing, prefixWithColon, local = '', attributes = '', selfClosing] = tag;
    const prefix = prefixWithColon === undefined ? '' : prefixWithColon.slice(0, -1);
    if (closing === '/') {
      const open = stack.pop();
      if (open === undefined) return undefined;
      continue;
    }
    const parentScope =
      stack.at(-1)?.scope ?? new Map<string, string>([['xml', 'http://www.w3.org/XML/1998/namespace']]);
    const scope = new Map(parentScope);
    for (const attribute of attributes.matchAll(ATTRIBUTE)) {
      const name = attribute[1] ?? '';
      const value = attribute[2] ?? attribute[3] ?? '';
      if (name === 'xmlns') scope.set('', value);
      else if (name.startsWith('xmlns:')) scope.set(name.slice('xmlns:'.length), value);
    }
    const namespace = scope.get(prefix);
    if (namespace === undefined && prefix !== '') return undefined;
    const element: Element = { namespace: namespace ?? '', local, children: [] };
    const parent = stack.at(-1);
    if (parent === undefined) {
      if (root !== undefined) return undefined;
      root = element;
    } else parent.element.children.push(element);
    if (selfClosing !== '/') stack.push({ element, scope });
  }
  return stack.length === 0 ? root : undefined;
}
