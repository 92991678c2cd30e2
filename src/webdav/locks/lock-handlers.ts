import { promises as fsp } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { atName } from '../anchored-names';
import { sendText } from '../connection-host';
import { headerText } from '../header-value';
import type { Location } from '../path-confinement';
import { fileSystemRefusal } from '../methods/file-system-refusal';
import { displayPath } from '../request-target';
import { locatedVisibleStats } from '../visibility';
import { sendXml } from '../xml-response';
import type { XmlElement } from '../xml/xml-node';
import type { IfList } from './if-header';
import { activeLockXml, davErrorXml, hrefOfPath, lockResponseXml, readLockInfo } from './lock-xml';
import { covers, type ActiveLock, type LockDepth, type LockTable } from './lock-table';
import { grantedTimeout } from './timeout-header';

export interface LockContext {
  readonly locks: LockTable;
  readonly locate: (segments: readonly string[]) => Promise<Location>;
}

export interface LockRequestInput {
  readonly segments: readonly string[];
  readonly headers: IncomingHttpHeaders;
  /** The body's root element; undefined for an empty body (a refresh). */
  readonly body: XmlElement | undefined;
  /** The If header's lists, already evaluated true by the preconditions (empty without an If header). */
  readonly ifLists: readonly IfList[];
  readonly submitted: ReadonlySet<string>;
}

/**
 * LOCK (RFC 4918 §9.10): a new exclusive or shared write lock, Depth 0 or infinity, on an existing resource
 * or on an unmapped URL (which creates an empty file, 201); or, without a body, a refresh of the locks whose
 * tokens the If header submits.
 */
export async function answerLock(
  context: LockContext,
  input: LockRequestInput,
  res: ServerResponse,
): Promise<void> {
  const path = displayPath(input.segments);
  const timeoutSeconds = grantedTimeout(headerText(input.headers['timeout']));
  if (input.body === undefined) return refresh(context, input, path, timeoutSeconds, res);

  const depth = lockDepth(headerText(input.headers['depth']));
  if (depth === undefined) return sendText(res, 400, 'A LOCK Depth must be 0 or infinity.\n');
  const info = readLockInfo(input.body);
  if (info.kind === 'invalid') return sendText(res, 400, `Invalid LOCK body: ${info.reason}.\n`);
  const location = await context.locate(input.segments);
  if (location.kind !== 'inside') return sendText(res, 403, 'The path leaves the shared folder.\n');
  // A FIFO, socket or device the host put here is no resource the guest is shown (visibility.ts): locking it
  // would say it exists, and a lock on a missing name would create a file, which cannot be made here. PUT's 403.
  if (location.exists && (await locatedVisibleStats(location)) === undefined)
    return sendText(res, 403, 'Only files and folders can be locked.\n');

  const created = context.locks.create({
    root: path,
    depth,
    scope: info.scope,
    owner: info.owner,
    timeoutSeconds,
  });
  if (created.kind === 'conflict')
    return sendXml(res, 423, davErrorXml('no-conflicting-lock', [hrefOfPath(created.with.root)]));
  if (created.kind === 'owner-too-large')
    return sendText(
      res,
      507,
      `The lock owner is larger than ${created.maxOwnerBytes} bytes; send a shorter owner (e.g. a name or a URL).\n`,
    );
  if (created.kind === 'full')
    return sendText(
      res,
      507,
      'Too many locks (or too many lock owner bytes) are held at once; unlock some files and try again.\n',
    );
  const lock = created.lock;
  if (!location.exists) {
    try {
      // Created through its checked folder (anchored-names.ts): never outside, whatever the host swapped.
      await (await atName(location.real, (at) => fsp.open(at, 'wx'))).close();
    } catch (error) {
      context.locks.remove(lock.token);
      const refusal = fileSystemRefusal(error); // no parent folder (409), a full disk (507), permissions (403)
      if (refusal === undefined) throw error;
      return sendText(res, refusal.status, `Cannot lock here: ${lowerFirst(refusal.message)}\n`);
    }
  }
  sendXml(res, location.exists ? 200 : 201, lockResponseXml(activeLock(context, lock)), {
    'Lock-Token': `<${lock.token}>`,
  });
}

async function refresh(
  context: LockContext,
  input: LockRequestInput,
  path: string,
  timeoutSeconds: number,
  res: ServerResponse,
): Promise<void> {
  if (input.ifLists.length === 0)
    return sendText(res, 400, 'A LOCK without a body refreshes a lock: send its token in an If header.\n');
  const refreshed = [...input.submitted]
    .map((token) => context.locks.get(token))
    .filter((lock): lock is ActiveLock => lock !== undefined && covers(lock, path))
    .map((lock) => context.locks.refresh(lock.token, timeoutSeconds))
    .filter((lock): lock is ActiveLock => lock !== undefined);
  if (refreshed.length === 0) return sendXml(res, 412, davErrorXml('lock-token-matches-request-uri'));
  sendXml(res, 200, lockResponseXml(refreshed.map((lock) => activeLock(context, lock)).join('')));
}

/** UNLOCK (RFC 4918 §9.11): removes the lock named by Lock-Token, if it covers the request URI. */
export function answerUnlock(
  context: LockContext,
  segments: readonly string[],
  headers: IncomingHttpHeaders,
  res: ServerResponse,
): void {
  const token = /^\s*<([^<>\s]+)>\s*$/.exec(headerText(headers['lock-token']) ?? '')?.[1];
  if (token === undefined) return sendText(res, 400, 'UNLOCK needs a Lock-Token header: <token>.\n');
  const lock = context.locks.get(token);
  if (lock === undefined || !covers(lock, displayPath(segments)))
    return sendXml(res, 409, davErrorXml('lock-token-matches-request-uri'));
  context.locks.remove(token);
  res.statusCode = 204;
  res.end();
}

/** The <D:activelock> elements of every lock covering a share path, for PROPFIND lockdiscovery. */
export function lockDiscoveryXml(locks: LockTable, path: string): string {
  return locks
    .covering(path)
    .map((lock) => activeLockXml(lock, hrefOfPath(lock.root), locks.secondsLeft(lock)))
    .join('');
}

function activeLock(context: LockContext, lock: ActiveLock): string {
  return activeLockXml(lock, hrefOfPath(lock.root), context.locks.secondsLeft(lock));
}

function lockDepth(header: string | undefined): LockDepth | undefined {
  const value = (header ?? 'infinity').trim().toLowerCase();
  if (value === '0') return '0';
  return value === 'infinity' ? 'infinity' : undefined;
}

function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
