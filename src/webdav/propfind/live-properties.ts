import type { Stats } from 'node:fs';
import { contentTypeFor } from '../content-type';
import { entityTag } from '../entity-tag';
import { escapeXml } from '../xml/xml-escape';

/** The DAV: live properties of a file or folder, in the order the full engine lists them for allprop. */
const FOLDER_PROPERTIES = [
  'getlastmodified',
  'lockdiscovery',
  'supportedlock',
  'creationdate',
  'resourcetype',
  'displayname',
  'getetag',
] as const;
const FILE_PROPERTIES = [...FOLDER_PROPERTIES, 'getcontentlength', 'getcontenttype'] as const;

export type LivePropertyName = (typeof FILE_PROPERTIES)[number];

const SUPPORTED_LOCK =
  '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
  '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';

export function livePropertyNames(isFolder: boolean): readonly LivePropertyName[] {
  return isFolder ? FOLDER_PROPERTIES : FILE_PROPERTIES;
}

export function isLivePropertyOf(local: string, isFolder: boolean): local is LivePropertyName {
  return (livePropertyNames(isFolder) as readonly string[]).includes(local);
}

/** One live property as XML (prefix D bound to DAV:); `lockDiscovery` is the <D:activelock> elements, if any. */
export function livePropertyXml(
  name: LivePropertyName,
  stats: Stats,
  displayName: string,
  lockDiscovery = '',
): string {
  const element = (content: string): string =>
    content === '' ? `<D:${name}/>` : `<D:${name}>${content}</D:${name}>`;
  switch (name) {
    case 'getlastmodified':
      return element(new Date(stats.mtimeMs).toUTCString());
    case 'lockdiscovery':
      return element(lockDiscovery);
    case 'supportedlock':
      return element(SUPPORTED_LOCK);
    case 'creationdate':
      return element(isoDate(stats.birthtimeMs || stats.ctimeMs));
    case 'resourcetype':
      return element(stats.isDirectory() ? '<D:collection/>' : '');
    case 'displayname':
      return element(escapeXml(displayName));
    case 'getetag':
      return element(escapeXml(entityTag(stats)));
    case 'getcontentlength':
      return element(String(stats.size));
    case 'getcontenttype':
      return element(escapeXml(contentTypeFor(displayName)));
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
