import { STATUS_CODES, type ServerResponse } from 'node:http';
import { sendText } from '../connection-host';
import type { ResourceStateStore } from '../resource-state-store';
import { sendXml } from '../xml-response';
import { escapeXml } from '../xml/xml-escape';
import { NamespaceScope } from '../xml/xml-fragment';
import { childElements, isElement, type XmlElement } from '../xml/xml-node';
import { emptyPropertyXml, propertyKey, type DeadProperty, type PropertyName } from './dead-property';
import { appliedTimeKeys, applyWin32Times, readWin32Times } from './win32-times';

const DAV = 'DAV:';

export type PropertyOperation =
  | { readonly kind: 'set'; readonly property: DeadProperty }
  | { readonly kind: 'remove'; readonly name: PropertyName };

export type PropertyUpdate =
  | { readonly kind: 'ok'; readonly operations: readonly PropertyOperation[] }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads a <propertyupdate> body into its set and remove operations, in document order. Pure. */
export function readPropertyUpdate(root: XmlElement | undefined): PropertyUpdate {
  if (root === undefined || !isElement(root, DAV, 'propertyupdate'))
    return { kind: 'invalid', reason: 'the body is not a DAV:propertyupdate' };
  const operations: PropertyOperation[] = [];
  for (const block of childElements(root)) {
    const isSet = isElement(block, DAV, 'set');
    if (!isSet && !isElement(block, DAV, 'remove')) continue; // unknown extensions are ignored (RFC 4918 §17)
    for (const prop of childElements(block).filter((child) => isElement(child, DAV, 'prop'))) {
      for (const element of childElements(prop))
        operations.push(
          isSet
            ? { kind: 'set', property: toDeadProperty(element) }
            : { kind: 'remove', name: nameOf(element) },
        );
    }
  }
  if (operations.length === 0) return { kind: 'invalid', reason: 'no property to set or remove' };
  return { kind: 'ok', operations };
}

/** The resource a PROPPATCH changes: its share path (for the store), its href, and its resolved real path. */
export interface ProppatchTarget {
  readonly path: string;
  readonly href: string;
  readonly real: string;
}

/**
 * PROPPATCH (RFC 4918 §9.2) on an existing resource: all operations in document order, all or nothing.
 * DAV: properties are live and protected (403, the others 424); a full store answers 507 for all.
 * Windows' Win32LastModifiedTime and Win32LastAccessTime set the file's times instead of being stored (see
 * win32-times.ts): a value that is not a date answers 409 for it and 424 for the others, a file whose times
 * cannot be set 403 for them, and nothing changes then.
 */
export async function answerProppatch(
  store: ResourceStateStore,
  target: ProppatchTarget,
  operations: readonly PropertyOperation[],
  res: ServerResponse,
): Promise<void> {
  const { path, href } = target;
  const names = operations.map((operation) =>
    operation.kind === 'set' ? operation.property : operation.name,
  );
  const protectedNames = names.filter((name) => name.namespace === DAV);
  if (protectedNames.length > 0)
    return sendXml(
      res,
      207,
      multistatus(href, names, (name) => (name.namespace === DAV ? 403 : 424)),
    );

  const times = readWin32Times(operations);
  if (times.kind === 'invalid') {
    const refused = propertyKey(times.name);
    return sendXml(
      res,
      207,
      multistatus(href, names, (name) => (propertyKey(name) === refused ? 409 : 424), times.reason),
    );
  }

  const applied = appliedTimeKeys(operations);
  const previous = store.properties(path);
  const properties = new Map(previous.map((property) => [propertyKey(property), property]));
  for (const operation of operations) {
    const key = propertyKey(operation.kind === 'set' ? operation.property : operation.name);
    if (applied.has(key)) continue;
    if (operation.kind === 'set') properties.set(key, operation.property);
    else properties.delete(key);
  }
  const written = store.replace(path, [...properties.values()]);
  if (written.kind === 'full')
    return sendXml(
      res,
      207,
      multistatus(href, names, () => 507),
    );
  const outcome = await applyWin32Times(target.real, times);
  if (outcome.kind === 'failed') {
    undoOwnChanges(store, path, previous, operations, applied);
    return sendXml(
      res,
      207,
      multistatus(
        href,
        names,
        (name) => (applied.has(propertyKey(name)) ? 403 : 424),
        `the file's times cannot be changed (${outcome.code})`,
      ),
    );
  }
  sendXml(
    res,
    207,
    multistatus(href, names, () => 200),
  );
}

/**
 * Puts back what this PROPPATCH changed in the store, and only that: a PROPPATCH of another property of the
 * same path that ran meanwhile (both hold the namespace lock shared) keeps its change.
 */
function undoOwnChanges(
  store: ResourceStateStore,
  path: string,
  previous: readonly DeadProperty[],
  operations: readonly PropertyOperation[],
  applied: ReadonlySet<string>,
): void {
  const before = new Map(previous.map((property) => [propertyKey(property), property]));
  const now = new Map(store.properties(path).map((property) => [propertyKey(property), property]));
  for (const operation of operations) {
    const key = propertyKey(operation.kind === 'set' ? operation.property : operation.name);
    if (applied.has(key)) continue;
    const old = before.get(key);
    if (old === undefined) now.delete(key);
    else now.set(key, old);
  }
  store.replace(path, [...now.values()]);
}

export function refuseProppatch(res: ServerResponse, reason: string): void {
  sendText(res, 400, `Invalid PROPPATCH body: ${reason}.\n`);
}

/** The PROPPATCH answer; `description` says why it failed (RFC 4918 §14.18 responsedescription). */
function multistatus(
  href: string,
  names: readonly PropertyName[],
  statusOf: (name: PropertyName) => number,
  description?: string,
): string {
  const byStatus = new Map<number, Map<string, PropertyName>>();
  for (const name of names) {
    const status = statusOf(name);
    const group = byStatus.get(status) ?? new Map<string, PropertyName>();
    group.set(propertyKey(name), name);
    byStatus.set(status, group);
  }
  const propstats = [...byStatus.entries()].map(([status, group]) => {
    const scope = new NamespaceScope('p');
    const names = [...group.values()].map((name) => emptyPropertyXml(name, scope)).join('');
    return (
      `<D:propstat><D:prop${scope.declarations()}>${names}</D:prop>` +
      `<D:status>HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}</D:status></D:propstat>`
    );
  });
  return (
    '<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">' +
    `<D:response><D:href>${escapeXml(href)}</D:href>${propstats.join('')}` +
    (description === undefined
      ? ''
      : `<D:responsedescription>${escapeXml(description)}</D:responsedescription>`) +
    '</D:response></D:multistatus>'
  );
}

function nameOf(element: XmlElement): PropertyName {
  return { namespace: element.namespace, local: element.local };
}

function toDeadProperty(element: XmlElement): DeadProperty {
  return { ...nameOf(element), attributes: element.attributes, value: element.children };
}
