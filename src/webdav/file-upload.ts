import { promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtomicFileWriter } from './atomic-file-writer';
import { sendText } from './connection-host';
import type { Location } from './path-confinement';

/**
 * PUT of a whole file, answered by us: the body streams into a temporary file next to the target, which is
 * renamed over the target only once the body is complete. An aborted upload leaves the old file (or no file)
 * and no temporary file. Locks are not checked: every guest request is the same anonymous user, for whom
 * webdav-server's locks never block anyway.
 */
export async function receiveFile(
  req: IncomingMessage,
  res: ServerResponse,
  location: Location,
  onBytes: (n: number) => void,
): Promise<void> {
  if (location.kind === 'outside') return sendText(res, 403, 'The path leaves the shared folder.\n');
  const existing = location.exists ? await fsp.stat(location.real).catch(() => undefined) : undefined;
  if (existing?.isDirectory()) return sendText(res, 405, 'A folder exists at this path.\n');
  if (existing && !existing.isFile()) return sendText(res, 403, 'Only regular files can be written.\n');
  const parent = await fsp.stat(path.dirname(location.real)).catch(() => undefined);
  if (!parent?.isDirectory())
    return sendText(res, 409, 'The parent folder does not exist; create it first.\n');

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(req, meter, new AtomicFileWriter(location.real));
  } catch (error) {
    if (req.destroyed && !req.complete) return; // the guest went away; the writer removed its temp file
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return sendText(res, 507, 'The host disk is full.\n');
    if (code === 'EACCES' || code === 'EPERM') return sendText(res, 403, 'The host refused the write.\n');
    throw error;
  }
  res.statusCode = existing ? 204 : 201;
  res.setHeader('Content-Length', 0);
  res.end();
}
