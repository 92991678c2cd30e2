/**
 * A small well-formedness and namespace check for WebDAV request bodies. webdav-server treats a body it
 * cannot parse as "allprop" (207) where RFC 4918 wants 400; this lets the guard answer 400 first.
 * It is deliberately strict and simple: no DOCTYPE (no entity tricks), balanced tags, one root element,
 * quoted attributes, and every namespace prefix declared with a non-empty URI.
 */
export type XmlCheck = { readonly kind: 'ok' } | { readonly kind: 'invalid'; readonly reason: string };

const OK: XmlCheck = { kind: 'ok' };
const TAG = /<(\/?)([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function checkXmlBody(text: string): XmlCheck {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return OK;
  if (/<!DOCTYPE/i.test(body)) return invalid('DOCTYPE is not accepted');
  const stripped = body
    .replace(/^<\?xml[^?]*\?>/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const open: { name: string; prefixes: Set<string> }[] = [];
  let roots = 0;
  let index = 0;
  while (index < stripped.length) {
    const next = stripped.indexOf('<', index);
    const text = stripped.slice(index, next === -1 ? undefined : next);
    if (open.length === 0 && text.trim() !== '') return invalid('text outside the root element');
    if (next === -1) break;
    TAG.lastIndex = next;
    const tag = TAG.exec(stripped);
    if (!tag) return invalid('malformed tag');
    index = TAG.lastIndex;
    const [, closing, name = '', attributes = '', selfClosing] = tag;
    if (closing) {
      if (open.pop()?.name !== name) return invalid(`unexpected </${name}>`);
      continue;
    }
    if (open.length === 0 && ++roots > 1) return invalid('more than one root element');
    const scope = new Set(open[open.length - 1]?.prefixes ?? ['xml']);
    const declared = declareNamespaces(attributes, scope);
    if (declared.kind === 'invalid') return declared;
    const prefix = name.includes(':') ? name.split(':')[0] : undefined;
    if (prefix !== undefined && !scope.has(prefix)) return invalid(`undeclared namespace prefix ${prefix}`);
    if (!selfClosing) open.push({ name, prefixes: scope });
  }
  if (open.length > 0) return invalid(`<${open[open.length - 1]?.name}> is never closed`);
  return roots === 1 ? OK : invalid('no root element');
}

function declareNamespaces(attributes: string, scope: Set<string>): XmlCheck {
  for (const match of attributes.matchAll(ATTRIBUTE)) {
    const [, name = '', doubleQuoted, singleQuoted] = match;
    const value = doubleQuoted ?? singleQuoted ?? '';
    if (!name.startsWith('xmlns:')) continue;
    if (value === '') return invalid(`namespace prefix ${name.slice(6)} bound to an empty URI`);
    scope.add(name.slice(6));
  }
  return OK;
}

function invalid(reason: string): XmlCheck {
  return { kind: 'invalid', reason };
}
