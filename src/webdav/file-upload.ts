import { promises as fsp } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Stats } from 'node:fs';
import { atName, atNames } from './anchored-names';
import { sendEmpty, sendText } from './connection-host';
import { writeAll } from './file-calls';
import { applyRequestedMtime } from './client-mtime';
import { CHANGED_SINCE, evaluateConditions } from './http-preconditions';
import { allowHeader } from './method-table';
import { fileSystemRefusal } from './methods/file-system-refusal';
import type { Location } from './path-confinement';
import { isReadOnlyFile, READ_ONLY_FILE_REFUSAL } from './read-only-file';
import { sameFile, type ShareNamespace } from './share-namespace';
import { declaredBodyLength, readSmallBody } from './request-body';
import { requestGone } from './request-gone';
import { freshTempName } from './share-temp-files';
import { statOrUndefined } from './stat-or-undefined';
import { writeUploadBody } from './upload-body-writer';
import { sendXml } from './xml-response';

type Refusal = {
  readonly kind: 'refused';
  readonly status: number;
  readonly message: string;
  /** An answer in XML instead of the message (a 423 names the lock). */
  readonly xml?: string;
};

/**
 * The request's If header and the locks on what it changes, judged as they are now; a refusal, or undefined
 * when the upload may go on. Called under the namespace lock where the upload takes effect.
 */
export type UploadRecheck = () => Promise<Refusal | undefined>;
type Opened = { readonly kind: 'opened'; readonly handle: fsp.FileHandle; readonly id: symbol };

const MOVED_AWAY =
  'The folder of this upload was moved or deleted while the file was being sent; nothing was written. ' +
  'Send the file again.';

/**
 * A body that declares at most this many bytes (one mux frame's worth) is read whole before the file system
 * is touched, then written in one call while the namespace lock is held: see receiveSmallFile.
 */
export const SMALL_UPLOAD_BYTES = 64 * 1024;

/**
 * PUT of a whole file, answered by us. A small body takes receiveSmallFile's way. Otherwise, under the share's namespace lock, the target is resolved and a temp
 * file is created exclusively (no link followed) in the target's real folder; the body streams into the
 * open descriptor without the lock; at the end the lock is taken again, the target resolved again, the temp
 * file checked to be still ours and still next to the target, and renamed over it. If the guest moved or
 * deleted the folder meanwhile the answer is 409 and the temp file is removed. An aborted upload leaves the
 * old file (or none) and no temp file. Replacing a file keeps its permission bits but, like any write,
 * drops setuid, setgid and sticky.
 */
export async function receiveFile(
  req: IncomingMessage,
  res: ServerResponse,
  space: ShareNamespace,
  segments: readonly string[],
  onBytes: (n: number) => void,
  recheck: UploadRecheck,
): Promise<void> {
  const small = declaredSmallLength(req);
  if (small !== undefined) return receiveSmallFile(req, res, space, segments, onBytes, small, recheck);
  // A request whose connection is gone while it waits for the lock never takes effect (request-gone.ts).
  const over = requestGone(res);
  const opened = await space.lock.exclusive(() => openUpload(space, segments, req.headers), over);
  if (opened === undefined) return;
  if (opened.kind === 'refused') return answerRefusal(res, opened);

  try {
    await writeUploadBody(req, opened.handle, onBytes);
  } catch (error) {
    await space.lock.exclusive(() => discardUpload(space, opened));
    if (req.destroyed && !req.complete) return; // the guest went away
    const refusal = fileSystemRefusal(error);
    if (refusal === undefined) throw error;
    // The body's rest is still coming and will not be read: the connection ends after this answer.
    return sendText(res, refusal.status, refusal.message + '\n', { Connection: 'close' });
  }
  const outcome = await space.lock.exclusive(
    () => commitUpload(space, segments, req.headers, opened, recheck),
    over,
  );
  if (outcome === undefined) {
    await space.lock.exclusive(() => discardUpload(space, opened));
    return;
  }
  if (outcome.kind === 'refused') return answerRefusal(res, outcome);
  answerCommitted(res, outcome);
}

/**
 * A small body, read whole into memory first (never under the lock: a guest that sends it slowly must not
 * stall the share), then placed in one section of the namespace lock: resolve, create the temp file
 * exclusively in the target's real folder, write, keep the old file's permission bits, close, rename over
 * the target. Nothing can change what the name means between the resolve and the rename, since every guest
 * request that changes names holds the lock alone; so the second resolve and the "still ours" check of the
 * streamed way, needed only because its body streams without the lock, have nothing to catch here. The lock
 * is held for a few calls on at most SMALL_UPLOAD_BYTES, as for any namespace change.
 */
async function receiveSmallFile(
  req: IncomingMessage,
  res: ServerResponse,
  space: ShareNamespace,
  segments: readonly string[],
  onBytes: (n: number) => void,
  declared: number,
  recheck: UploadRecheck,
): Promise<void> {
  const read = await readSmallBody(req, declared, onBytes).catch(() => undefined);
  if (read === undefined) return; // the guest went away before the body was complete
  // Neither can happen (the parser stops a body at its Content-Length, at most FREE_BODY_BYTES here).
  if (read.kind !== 'complete') throw new Error(`a small upload's body was refused: ${read.kind}`);
  const outcome = await space.lock.exclusive(
    () => placeSmallFile(space, segments, req.headers, read.body, recheck),
    requestGone(res),
  );
  if (outcome === undefined) return; // the guest went away while it waited: nothing is written
  if (outcome.kind === 'refused') return answerRefusal(res, outcome);
  answerCommitted(res, outcome);
}

/** The Content-Length of a body small enough for receiveSmallFile (none and no chunks: empty), else undefined. */
function declaredSmallLength(req: IncomingMessage): number | undefined {
  const declared = declaredBodyLength(req);
  if (declared === undefined || !Number.isSafeInteger(declared) || declared < 0) return undefined;
  return declared <= SMALL_UPLOAD_BYTES ? declared : undefined;
}

async function placeSmallFile(
  space: ShareNamespace,
  segments: readonly string[],
  headers: IncomingHttpHeaders,
  body: Buffer,
  recheck: UploadRecheck,
): Promise<Commit> {
  const calls = space.calls; // on the event loop where the share is local (file-calls.ts)
  // The body was read before the lock was taken: a LOCK may have come meanwhile.
  const refusal = await recheck();
  if (refusal !== undefined) return refusal;
  const target = await uploadTarget(space, segments, headers);
  if (target.kind === 'refused') return target;
  const { tempReal, existing } = target;
  let fd: number;
  try {
    fd = await calls.create(tempReal, 0o666); // as openUpload: ENOENT/ENOTDIR mean 409
  } catch (error) {
    return refusalOf(error);
  }
  try {
    await writeAll(calls, fd, body);
    if (existing !== undefined) await calls.fchmod(fd, existing.mode & 0o777); // keep rwx, drop setuid/setgid/sticky
  } catch (error) {
    await calls.close(fd).catch(() => undefined);
    await calls.unlink(tempReal).catch(() => undefined);
    return refusalOf(error);
  }
  try {
    await calls.close(fd);
    await calls.rename(tempReal, target.real);
  } catch (error) {
    await calls.unlink(tempReal).catch(() => undefined); // still ours: we hold the lock
    return refusalOf(error);
  }
  return {
    kind: 'committed',
    replaced: target.replaces,
    mtimeSet: await applyRequestedMtime(target.real, headers),
  };
}

/** 201 for a new file, 204 for a replaced one, no body; `X-OC-Mtime: accepted` when its time was set. */
function answerCommitted(
  res: ServerResponse,
  { replaced, mtimeSet }: { replaced: boolean; mtimeSet: boolean },
): void {
  if (mtimeSet) res.setHeader('X-OC-Mtime', 'accepted');
  sendEmpty(res, replaced ? 204 : 201);
}

/** The refusal a file-system error a guest can cause deserves; any other error is a fault and rethrown. */
function refusalOf(error: unknown): Refusal {
  const refusal = fileSystemRefusal(error);
  if (refusal === undefined) throw error;
  return { kind: 'refused', ...refusal };
}

/** Where an upload goes: the target resolved in the share, its stats if it is there, a fresh temp name beside it. */
type UploadTarget = {
  readonly kind: 'target';
  /** The real path the upload replaces or creates. */
  readonly real: string;
  readonly existing: Stats | undefined;
  readonly replaces: boolean;
  readonly tempReal: string;
};

/**
 * Resolves an upload's target (to be called under the namespace lock) and refuses what cannot be written, or
 * may not be by the request's conditions (If-Match and the like: 412).
 */
async function uploadTarget(
  space: ShareNamespace,
  segments: readonly string[],
  headers: IncomingHttpHeaders,
): Promise<UploadTarget | Refusal> {
  const location = await space.locate(segments);
  if (location.kind === 'outside') return refused(403, 'The path leaves the shared folder.');
  const existing = await existingAt(location);
  const problem = await problemWithTarget(space, location.real, existing, headers);
  if (problem) return problem;
  const tempReal = path.join(path.dirname(location.real), freshTempName());
  return { kind: 'target', real: location.real, existing, replaces: location.exists, tempReal };
}

async function openUpload(
  space: ShareNamespace,
  segments: readonly string[],
  headers: IncomingHttpHeaders,
): Promise<Opened | Refusal> {
  const target = await uploadTarget(space, segments, headers);
  if (target.kind === 'refused') return target;
  const { tempReal } = target;
  let handle: fsp.FileHandle;
  try {
    // O_EXCL: never follows a link at the final name; through its checked folder (anchored-names.ts): never
    // outside the share. No parent folder (ENOENT, ENOTDIR): 409, as a stat of it first would say, without the
    // trip to the thread pool.
    handle = await atName(tempReal, (at) => fsp.open(at, 'wx', 0o666));
  } catch (error) {
    const refusal = fileSystemRefusal(error);
    if (refusal === undefined) throw error;
    return { kind: 'refused', ...refusal };
  }
  return { kind: 'opened', handle, id: space.temps.add(tempReal) };
}

type Commit =
  | {
      readonly kind: 'committed';
      readonly replaced: boolean;
      /** The time X-OC-Mtime asked for was given to the file. */
      readonly mtimeSet: boolean;
    }
  | Refusal;
type Place = {
  readonly kind: 'place';
  readonly tempReal: string;
  readonly target: string;
  readonly replaces: boolean;
  /** What is at the target now, if anything: its permission bits are kept. */
  readonly existing: Stats | undefined;
};

async function commitUpload(
  space: ShareNamespace,
  segments: readonly string[],
  headers: IncomingHttpHeaders,
  upload: Opened,
  recheck: UploadRecheck,
): Promise<Commit> {
  // The body streamed without the lock: another client may have locked the file (or changed what an If
  // header's entity tag names) meanwhile, and must be protected as if this upload had begun after.
  const place = (await recheck()) ?? (await placeForCommit(space, segments, headers, upload));
  if (place.kind === 'refused') {
    await discardUpload(space, upload);
    return place;
  }
  try {
    if (place.existing !== undefined) await upload.handle.chmod(place.existing.mode & 0o777); // keep rwx, drop setuid/setgid/sticky
    await upload.handle.close();
    await atNames(place.tempReal, place.target, (from, to) => fsp.rename(from, to));
    space.temps.remove(upload.id);
  } catch (error) {
    await upload.handle.close().catch(() => undefined);
    await unlinkAt(place.tempReal); // still ours: we hold the lock
    space.temps.remove(upload.id);
    const known = fileSystemRefusal(error);
    if (known === undefined) throw error;
    return { kind: 'refused', ...known };
  }
  return {
    kind: 'committed',
    replaced: place.replaces,
    mtimeSet: await applyRequestedMtime(place.target, headers),
  };
}

/**
 * Where the finished upload goes, resolved again now: the temp file must still be ours (same device and
 * inode as the descriptor) and in the folder the target now resolves to, and the request's conditions must
 * still hold for what is there now (the host may have changed it while the body streamed).
 */
async function placeForCommit(
  space: ShareNamespace,
  segments: readonly string[],
  headers: IncomingHttpHeaders,
  upload: Opened,
): Promise<Place | Refusal> {
  const tempReal = space.temps.where(upload.id);
  if (tempReal === undefined || !(await stillOurs(upload.handle, tempReal))) return refused(409, MOVED_AWAY);
  const location = await space.locate(segments);
  if (location.kind === 'outside' || path.dirname(location.real) !== path.dirname(tempReal))
    return refused(409, MOVED_AWAY);
  const existing = await existingAt(location);
  const problem = await problemWithTarget(space, location.real, existing, headers);
  return problem ?? { kind: 'place', tempReal, target: location.real, replaces: location.exists, existing };
}

/** Closes the descriptor and removes the temp file wherever our own MOVEs took it (if DELETE did not). */
async function discardUpload(space: ShareNamespace, upload: Opened): Promise<void> {
  const tempReal = space.temps.where(upload.id);
  const ours = tempReal === undefined ? false : await stillOurs(upload.handle, tempReal);
  await upload.handle.close().catch(() => undefined);
  if (tempReal !== undefined && ours) await unlinkAt(tempReal);
  space.temps.remove(upload.id);
}

/** Removes a temp file of ours through its checked folder (anchored-names.ts); a failure is let be. */
function unlinkAt(tempReal: string): Promise<void> {
  return atName(tempReal, (at) => fsp.unlink(at)).catch(() => undefined);
}

async function stillOurs(handle: fsp.FileHandle, tempReal: string): Promise<boolean> {
  try {
    const [opened, named] = await Promise.all([handle.stat(), fsp.lstat(tempReal)]);
    return named.isFile() && sameFile(opened, named);
  } catch {
    return false;
  }
}

/** The stats of what is at a resolved target: the entry's own, read while resolving, unless it is a link. */
async function existingAt(location: Extract<Location, { kind: 'inside' }>): Promise<Stats | undefined> {
  if (!location.exists) return undefined;
  return location.stats ?? (await statOrUndefined(location.real));
}

/**
 * What keeps an upload from replacing the target (`existing`: its stats, if anything is there): what it is,
 * the host's permissions, then the request's conditions (RFC 9110 §13.2.1: only where the upload could go on).
 */
async function problemWithTarget(
  space: ShareNamespace,
  real: string,
  existing: Stats | undefined,
  headers: IncomingHttpHeaders,
): Promise<Refusal | undefined> {
  const problem = problemWithStats(existing) ?? (await problemWithWriting(space, real, existing));
  if (problem !== undefined) return problem;
  return evaluateConditions(headers, existing, false) === 'failed' ? refused(412, CHANGED_SINCE) : undefined;
}

/**
 * A file the host made read-only (or one of another user's) is not replaced. The upload would not write into
 * it but rename a new file over it, which only the folder's permissions govern: a PUT must not get past what
 * `echo > file` on the host could not.
 */
async function problemWithWriting(
  space: ShareNamespace,
  real: string,
  existing: Stats | undefined,
): Promise<Refusal | undefined> {
  return (await isReadOnlyFile(space.calls, real, existing))
    ? refused(403, READ_ONLY_FILE_REFUSAL)
    : undefined;
}

/** A target that is there (its stats) and is no regular file cannot be written. */
function problemWithStats(existing: Stats | undefined): Refusal | undefined {
  if (existing?.isDirectory()) return refused(405, 'A folder exists at this path.');
  if (existing && !existing.isFile()) return refused(403, 'Only regular files can be written.');
  return undefined;
}

/** A refusal as an answer; a 405 (a folder at the name) says which methods a folder accepts. */
function answerRefusal(res: ServerResponse, refusal: Refusal): void {
  if (refusal.xml !== undefined) return sendXml(res, refusal.status, refusal.xml);
  const allow = refusal.status === 405 ? { Allow: allowHeader('folder', false) } : {};
  sendText(res, refusal.status, refusal.message + '\n', allow);
}

function refused(status: number, message: string): Refusal {
  return { kind: 'refused', status, message };
}
