import { promises as fsp } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { atName } from './anchored-names';
import { headerText } from './header-value';

/** The latest modification time a client may set: about the year 2255, inside what every file system keeps. */
const LATEST_SECONDS = 2 ** 33;

/**
 * The modification time an upload asks for with `X-OC-Mtime` (seconds since the epoch, as ownCloud and
 * Nextcloud take it): rclone sends it with `--webdav-vendor owncloud` and keeps its files' times that way,
 * which lets a later sync see a same-size edit. Undefined when absent or not a plain number in range.
 */
export function requestedMtime(headers: IncomingHttpHeaders): number | undefined {
  const text = headerText(headers['x-oc-mtime'])?.trim();
  if (text === undefined || !/^\d{1,11}(\.\d{1,9})?$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds <= LATEST_SECONDS ? seconds : undefined;
}

/**
 * Gives the file just placed at `real` the time the upload asked for (the caller holds the namespace lock, so
 * the name is still the file it placed); true when it was set, for the `X-OC-Mtime: accepted` answer.
 */
export async function applyRequestedMtime(real: string, headers: IncomingHttpHeaders): Promise<boolean> {
  const seconds = requestedMtime(headers);
  if (seconds === undefined) return false;
  // lutimes: never through a link, should a process on the host have swapped one in since the rename, and
  // through its checked folder (anchored-names.ts).
  return atName(real, (at) => fsp.lutimes(at, new Date(), seconds)).then(
    () => true,
    () => false, // the content is in place: a time that could not be set is not worth failing the upload
  );
}
