import { promises as fsp } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { sendText } from './connection-host';
import { hrefOfPath } from './locks/lock-xml';
import type { Mount } from './mounts';
import { sendXml } from './xml-response';
import { escapeXml } from './xml/xml-escape';

/** The virtual root's collection entry, and one per mount (with its folder's modification time, if readable). */
function collectionXml(href: string, displayName: string, modified: Date | undefined): string {
  const lastModified =
    modified === undefined ? '' : `<D:getlastmodified>${modified.toUTCString()}</D:getlastmodified>`;
  return (
    `<D:response><D:href>${escapeXml(href)}</D:href><D:propstat><D:prop>` +
    `<D:resourcetype><D:collection/></D:resourcetype><D:displayname>${escapeXml(displayName)}</D:displayname>` +
    `${lastModified}<D:supportedlock/><D:lockdiscovery/></D:prop><D:status>HTTP/1.1 200 OK</D:status>` +
    `</D:propstat></D:response>`
  );
}

/**
 * PROPFIND of the virtual root of several folders: the root itself, and with Depth 1 (the default) one
 * collection per mount. The same few live properties for every request body (clients that ask for fewer
 * ignore the rest); Depth infinity is refused as for any folder (RFC 4918 §9.1, propfind-finite-depth).
 */
export async function answerMountsPropfind(
  res: ServerResponse,
  mounts: readonly Mount[],
  depthHeader: string | undefined,
): Promise<void> {
  const depth = (depthHeader ?? '1').trim().toLowerCase();
  if (depth !== '0' && depth !== '1')
    return sendXml(
      res,
      403,
      '<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>',
    );
  const children =
    depth === '0'
      ? []
      : await Promise.all(
          mounts.map(async (mount) => {
            const name = mount.name ?? '';
            const modified = await fsp.stat(mount.space.rootReal).then(
              (stats) => stats.mtime,
              () => undefined,
            );
            return collectionXml(hrefOfPath(`/${name}`, true), name, modified);
          }),
        );
  sendXml(
    res,
    207,
    '<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">' +
      collectionXml('/', '', undefined) +
      children.join('') +
      '</D:multistatus>',
  );
}

/** GET of the virtual root: a plain-text index for a browser or curl. */
export function answerMountsText(res: ServerResponse, mounts: readonly Mount[]): void {
  const lines = mounts.map((mount) => `${mount.name ?? ''}/${mount.readOnly ? '  (read-only)' : ''}`);
  sendText(res, 200, `Shared folders:\n${lines.join('\n')}\n`);
}
