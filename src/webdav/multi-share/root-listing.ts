import type { NamedShare } from './share-name';
import { sharePrefix } from './rewrite-urls';

/** What the root listing says about one share (modification time when the folder could be read). */
export interface ShareEntry {
  readonly share: NamedShare;
  readonly modified: Date | undefined;
}

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function collectionResponse(href: string, displayName: string, modified: Date | undefined): string {
  const lastModified =
    modified === undefined ? '' : `<D:getlastmodified>${modified.toUTCString()}</D:getlastmodified>`;
  return (
    `<D:response><D:href>${escapeXml(href)}</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop>` +
    `<D:resourcetype><D:collection/></D:resourcetype><D:displayname>${escapeXml(displayName)}</D:displayname>` +
    `${lastModified}<D:supportedlock/><D:lockdiscovery/></D:prop></D:propstat></D:response>`
  );
}

/**
 * The PROPFIND answer for the virtual root: the root itself, and with Depth 1 one collection per share. The
 * same live properties for every request body (clients that ask for fewer simply ignore the rest).
 */
export function rootMultistatus(entries: readonly ShareEntry[], depth: '0' | '1'): string {
  const children =
    depth === '0'
      ? ''
      : entries
          .map((entry) =>
            collectionResponse(`${sharePrefix(entry.share.name)}/`, entry.share.name, entry.modified),
          )
          .join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">' +
    collectionResponse('/', '', undefined) +
    children +
    '</D:multistatus>'
  );
}

/** A plain-text index for a browser or curl that GETs the root. */
export function rootText(shares: readonly NamedShare[]): string {
  const lines = shares.map((s) => `${s.name}/${s.readOnly ? '  (read-only)' : ''}`);
  return `Shared folders:\n${lines.join('\n')}\n`;
}
