import { STATUS_CODES, type ServerResponse } from 'node:http';
import { sendText } from '../connection-host';
import type { ResourceStateStore } from '../resource-state-store';
import { sendXml } from '../xml-response';
import { escapeXml } from '../xml/xml-escape';
import { NamespaceScope } from '../xml/xml-fragment';
import { childElements, isElement, type XmlElement } from '../xml/xml-node';
import { emptyPropertyXml, propertyKey, type DeadProperty, type PropertyName } from './dead-property';

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

/**
 * PROPPATCH (RFC 4918 §9.2) on an existing resource: all operations in document order, all or nothing.
 * DAV: properties are live and protected (403, the others 424); a full store answers 507 for all.
 */
export function answerProppatch(
  store: ResourceStateStore,
  path: string,
  href: string,
  operations: readonly PropertyOperation[],
  res: ServerResponse,
): void {
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

  const properties = new Map(store.properties(path).map((property) => [propertyKey(property), property]));
  for (const operation of operations) {
    if (operation.kind === 'set') properties.set(propertyKey(operation.property), operation.property);
    else properties.delete(propertyKey(operation.name));
  }
  const written = store.replace(path, [...properties.values()]);
  sendXml(
    res,
    207,
    multistatus(href, names, () => (written.kind === 'stored' ? 200 : 507)),
  );
}

export function refuseProppatch(res: ServerResponse, reason: string): void {
  sendText(res, 400, `Invalid PROPPATCH body: ${reason}.\n`);
}

function multistatus(
  href: string,
  names: readonly PropertyName[],
  statusOf: (name: PropertyName) => number,
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
    `<D:response><D:href>${escapeXml(href)}</D:href>${propstats.join('')}</D:response></D:multistatus>`
  );
}

function nameOf(element: XmlElement): PropertyName {
  return { namespace: element.namespace, local: element.local };
}

function toDeadProperty(element: XmlElement): DeadProperty {
  return { ...nameOf(element), attributes: element.attributes, value: element.children };
}
