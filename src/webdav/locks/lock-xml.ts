import { escapeXml } from '../xml/xml-escape';
import { NamespaceScope, serializeNodes } from '../xml/xml-fragment';
import { childElements, isElement, type XmlElement, type XmlNode } from '../xml/xml-node';
import type { ActiveLock, LockScope } from './lock-table';

const DAV = 'DAV:';

export type LockInfo =
  | { readonly kind: 'ok'; readonly scope: LockScope; readonly owner: readonly XmlNode[] }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads a LOCK request's <lockinfo> (RFC 4918 §14.11): write locks only, exclusive or shared. Pure. */
export function readLockInfo(root: XmlElement): LockInfo {
  if (!isElement(root, DAV, 'lockinfo')) return { kind: 'invalid', reason: 'the body is not a DAV:lockinfo' };
  const children = childElements(root);
  const scopeElement = childElements(children.find((child) => isElement(child, DAV, 'lockscope')) ?? root)[0];
  const typeElement = childElements(children.find((child) => isElement(child, DAV, 'locktype')) ?? root)[0];
  const owner = children.find((child) => isElement(child, DAV, 'owner'));
  if (!isElement(typeElement, DAV, 'write')) return { kind: 'invalid', reason: 'only write locks exist' };
  const scope = isElement(scopeElement, DAV, 'exclusive')
    ? 'exclusive'
    : isElement(scopeElement, DAV, 'shared')
      ? 'shared'
      : undefined;
  if (scope === undefined) return { kind: 'invalid', reason: 'the lock scope must be exclusive or shared' };
  return { kind: 'ok', scope, owner: owner?.children ?? [] };
}

/** The owner as given back: each namespace it uses declared once, on <D:owner> itself. */
function ownerXml(owner: readonly XmlNode[]): string {
  if (owner.length === 0) return '';
  const scope = new NamespaceScope('o');
  const content = serializeNodes(owner, scope);
  return `<D:owner${scope.declarations()}>${content}</D:owner>`;
}

/** One <D:activelock> (prefix D bound to DAV: by the caller). `rootHref` is the lock root's href. */
export function activeLockXml(lock: ActiveLock, rootHref: string, secondsLeft: number): string {
  return (
    '<D:activelock>' +
    `<D:locktype><D:write/></D:locktype><D:lockscope><D:${lock.scope}/></D:lockscope>` +
    `<D:depth>${lock.depth === '0' ? '0' : 'infinity'}</D:depth>` +
    ownerXml(lock.owner) +
    `<D:timeout>Second-${secondsLeft}</D:timeout>` +
    `<D:locktoken><D:href>${escapeXml(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeXml(rootHref)}</D:href></D:lockroot>` +
    '</D:activelock>'
  );
}

/** The body of a successful LOCK: the lock discovery of the resource (RFC 4918 §9.10.1). */
export function lockResponseXml(activeLocks: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLocks}</D:lockdiscovery></D:prop>`
  );
}

/** A DAV:error body naming a failed precondition, e.g. lock-token-submitted with the lock roots. */
export function davErrorXml(condition: string, hrefs: readonly string[] = []): string {
  const inner = hrefs.map((href) => `<D:href>${escapeXml(href)}</D:href>`).join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<D:error xmlns:D="DAV:">${inner === '' ? `<D:${condition}/>` : `<D:${condition}>${inner}</D:${condition}>`}</D:error>`
  );
}

/** An absolute-path href for a share path, each segment percent-encoded ("/a%20b/c"). */
export function hrefOfPath(path: string, isFolder = false): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return isFolder && !encoded.endsWith('/') ? `${encoded}/` : encoded;
}
