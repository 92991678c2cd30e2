import type { Stats } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { sendText } from '../connection-host';
import { headerText } from '../header-value';
import type { FileCalls } from '../file-calls';
import type { Location } from '../path-confinement';
import {
  deadPropertyXml,
  emptyPropertyXml,
  propertyKey,
  type DeadProperty,
} from '../properties/dead-property';
import { CHILD_BATCH, folderChildren, openListedFolder, type Child } from '../folder-children';
import { encodeSegment } from '../uri-segment';
import { confinedVisibleStats, visibleStats } from '../visibility';
import { sendXml } from '../xml-response';
import { escapeXml } from '../xml/xml-escape';
import { NamespaceScope } from '../xml/xml-fragment';
import { DAV_NAMESPACE } from '../xml/xml-node';
import {
  isLivePropertyOf,
  livePropertyNames,
  livePropertyXml,
  type LivePropertyName,
} from './live-properties';
import type { PropertyName, PropfindRequest } from './propfind-request';
import {
  QUOTA_PROPERTY_NAMES,
  SpaceOfFileSystems,
  isQuotaProperty,
  quotaPropertyXml,
  type FileSystemSpace,
  type QuotaPropertyName,
} from './quota-properties';
import { StreamedAnswer } from './streamed-answer';
import { TurnQueue } from '../turn-queue';

/** How many entries of a folder are stat'ed at once: enough to keep the thread pool busy, bounded memory. */
const STAT_BATCH = CHILD_BATCH;

/**
 * A listing of a folder of up to this many entries keeps them from its first pass (it reads the folder once);
 * a larger folder is read again as the answer goes, so its names are never held whole (a million is ~330 MB).
 */
const KEPT_ENTRIES = 4096;

/**
 * The largest multistatus we send. Entries cost a bounded amount each (requested names are capped, dead
 * properties and lock owners have byte budgets), so only a huge folder, or many big properties or lock
 * owners multiplied by a folder's entries, gets near it. What the guest can multiply is counted before
 * anything is sent (507); a folder whose own entries outgrow it once the answer is streaming is cut there.
 */
export const MAX_PROPFIND_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Folder listings (Depth 1) in progress at once, across all connections. A listing holds a batch of names
 * and stats until its answer has left, which waits for the guest: 200 connections listing a folder of 1,300
 * files behind a guest that read nothing grew the process by over 300 MiB (measured, session 8). Further
 * listings wait for a turn, holding nothing but their request, and never the namespace lock: the engine takes
 * the turn first, for every PROPFIND that may list (mayList).
 */
export const listingTurns = new TurnQueue(8);

/** Whether a PROPFIND may list a folder, and so needs a listing turn: any Depth but 0 (none means 1). */
export function mayList(headers: IncomingHttpHeaders): boolean {
  return (headerText(headers['depth']) ?? '1').trim() !== '0';
}

export interface PropfindInput {
  readonly rootReal: string;
  readonly segments: readonly string[];
  readonly headers: IncomingHttpHeaders;
  readonly request: PropfindRequest;
  readonly locate: (segments: readonly string[]) => Promise<Location>;
  /** The share's calls on names (file-calls.ts): the named resource's stats are read through them. */
  readonly calls: FileCalls;
  /** Dead properties and locks, when the engine keeps any; without it none exist. */
  readonly state?: PropfindState;
  /**
   * Gives up the namespace lock the answer was started under. Called before the answer first waits for the
   * guest to read (past HELD_ANSWER_BYTES): from then on it only stats entries already listed, by path, each
   * checked as before (visibility.ts), and one guest that stops reading must not stall every writer, and every
   * request queued behind a writer, until its connection times out.
   */
  readonly leaveLock?: () => void;
  /** Told of each upload temp file the listing leaves out, with its folder (stale-temp-files.ts). */
  readonly noticeTempName?: (folderReal: string, name: string) => void;
}

/** What the engine keeps about share paths ("/a/b", "/" for the root) beyond the file system. */
export interface PropfindState {
  deadProperties(path: string): readonly DeadProperty[];
  /** The <D:activelock> elements of the locks covering the path ('' for none). */
  lockDiscoveryXml(path: string): string;
}

interface Entry {
  readonly href: string;
  /** The share path, for dead properties and locks. */
  readonly path: string;
  readonly displayName: string;
  readonly stats: Stats;
  /** The space of a collection's file system, when the request names a quota property and statfs worked. */
  readonly space?: FileSystemSpace;
}

/**
 * PROPFIND (RFC 4918 §9.1) with any body, Depth 0 or 1 (no Depth: 1, as clients expect; infinity: 403),
 * answered from the file system: one stat per entry, batched, and the entry's dead properties and locks.
 * Work and memory are linear in the folder's entries: each entry's XML is bounded (see propfind-request's
 * caps and the state's byte budgets), and the whole answer by MAX_PROPFIND_RESPONSE_BYTES; memory is not:
 * the answer is streamed (streamed-answer.ts), at most about 1 MiB of it held at once.
 */
export async function answerPropfind(input: PropfindInput, res: ServerResponse): Promise<void> {
  const depth = (headerText(input.headers['depth']) ?? '1').trim().toLowerCase();
  if (depth !== '0' && depth !== '1')
    return sendXml(
      res,
      403,
      '<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>',
    );
  const location = await input.locate(input.segments);
  // Not the lookup's own stats: what the answer shows is read again through a descriptor checked to be inside
  // the share (visibility.ts: a host's swap between the lookup's calls).
  const stats =
    location.kind === 'inside' && location.exists
      ? await confinedVisibleStats(input.rootReal, location.real, input.calls)
      : undefined;
  if (location.kind !== 'inside' || stats === undefined)
    return sendText(res, 404, 'No such file or folder in the share.\n');

  const host = headerText(input.headers['host']);
  const origin = host === undefined || host === '' ? '' : `http://${host}`;
  const base = `${origin}/${input.segments.map(encodeSegment).join('/')}`;
  const selfPath = `/${input.segments.join('/')}`;
  if (depth !== '1' || !stats.isDirectory()) {
    const writer = new MultistatusWriter(input.request, input.state, propfindAnswer(res, input.leaveLock));
    await addSelf(writer, location.real, base, selfPath, input.segments, stats);
    return writer.finish();
  }
  // The caller holds a listing turn (mayList), taken before the namespace lock.
  if (res.destroyed) return;
  const listed = await openListedFolder(location.real);
  if (listed === undefined) return sendText(res, 404, 'No such file or folder in the share.\n');
  try {
    await answerFolder(input, res, { folderReal: location.real, here: listed.here, base, selfPath, stats });
  } finally {
    listed.close();
  }
}

/**
 * A Depth 1 PROPFIND's answer for the folder at `folderReal`, listed (and its entries' stats taken) through
 * `here`, the folder held open and checked (folder-children.ts).
 */
async function answerFolder(
  input: PropfindInput,
  res: ServerResponse,
  folder: {
    readonly folderReal: string;
    readonly here: string;
    readonly base: string;
    readonly selfPath: string;
    readonly stats: Stats;
  },
): Promise<void> {
  const { folderReal, here, base, selfPath, stats } = folder;
  const answer = propfindAnswer(res, input.leaveLock);
  const writer = new MultistatusWriter(input.request, input.state, answer);
  // What the guest can multiply (locks, dead properties, requested names) is counted before anything is
  // sent, so an answer that would outgrow the cap because of it is still a clean 507. The folder is read
  // in pieces for that (a first pass); a folder of up to KEPT_ENTRIES is kept from it for the answer,
  // a larger one read again as the answer goes, so no listing holds more than that many names.
  let stateBytes = writer.stateBytes(selfPath);
  const kept: Child[] = [];
  let keptAll = true;
  const noticeTempName = input.noticeTempName;
  const onTempName = noticeTempName && ((name: string) => noticeTempName(folderReal, name));
  for await (const batch of folderChildren(here, selfPath, onTempName)) {
    if (res.destroyed) return;
    for (const { path } of batch) stateBytes += writer.stateBytes(path);
    if (stateBytes > MAX_PROPFIND_RESPONSE_BYTES) return refuseTooLarge(res);
    if (keptAll && kept.length + batch.length <= KEPT_ENTRIES) kept.push(...batch);
    else {
      keptAll = false;
      kept.length = 0;
    }
  }
  await addSelf(writer, folderReal, base, selfPath, input.segments, stats);
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const children = keptAll ? [kept] : folderChildren(here, selfPath);
  const complete = await addChildren(writer, input.rootReal, here, prefix, children);
  if (!complete) {
    if (answer.isStarted || answer.isClosed) return answer.abort();
    answer.discard();
    return refuseTooLarge(res);
  }
  await writer.finish();
}

function propfindAnswer(res: ServerResponse, beforeWaiting: (() => void) | undefined): StreamedAnswer {
  const headers = { 'Content-Type': 'application/xml; charset=utf-8', DAV: '1,2', 'MS-Author-Via': 'DAV' };
  return new StreamedAnswer(res, 207, headers, beforeWaiting);
}

/** The entry of the resource the PROPFIND names. */
async function addSelf(
  writer: MultistatusWriter,
  real: string,
  base: string,
  selfPath: string,
  segments: readonly string[],
  stats: Stats,
): Promise<void> {
  await writer.add({
    href: hrefOf(base, stats.isDirectory() || segments.length === 0),
    path: selfPath,
    displayName: segments.at(-1) ?? '',
    stats,
    space: await writer.spaceOf(real, stats),
  });
}

function refuseTooLarge(res: ServerResponse): void {
  sendText(
    res,
    507,
    `The listing would be larger than ${MAX_PROPFIND_RESPONSE_BYTES / (1024 * 1024)} MiB; ` +
      'ask for fewer properties, or list with Depth 0.\n',
  );
}

/**
 * Adds a folder's visible entries batch by batch; false (and stops) once the answer outgrows its cap, or the
 * guest went away.
 */
async function addChildren(
  writer: MultistatusWriter,
  rootReal: string,
  folderReal: string,
  prefix: string,
  children: Iterable<readonly Child[]> | AsyncIterable<readonly Child[]>,
): Promise<boolean> {
  for await (const whole of children) {
    for (let i = 0; i < whole.length; i += STAT_BATCH) {
      const batch = whole.slice(i, i + STAT_BATCH);
      const stats = await Promise.all(
        batch.map(({ dirent }) => visibleStats(rootReal, `${folderReal}/${dirent.name}`, dirent)),
      );
      for (const [j, { dirent, path }] of batch.entries()) {
        const entryStats = stats[j];
        if (entryStats === undefined) continue;
        await writer.add({
          href: hrefOf(prefix + encodeSegment(dirent.name), entryStats.isDirectory()),
          path,
          displayName: dirent.name,
          stats: entryStats,
          space: await writer.spaceOf(`${folderReal}/${dirent.name}`, entryStats),
        });
        if (writer.bytes > MAX_PROPFIND_RESPONSE_BYTES || writer.isClosed) return false;
      }
    }
  }
  return true;
}

/**
 * Builds the multistatus entry by entry. The requested property names' namespaces are declared once on the
 * root; each entry's dead properties declare theirs once on that entry's <D:prop>.
 */
class MultistatusWriter {
  private readonly scope = new NamespaceScope('n');
  private readonly requested: readonly PropertyName[];
  private readonly named: ReadonlySet<string>;
  /** Whether each entry's answer lists its locks. */
  private readonly listsLocks: boolean;
  /** The requested names' empty elements: the least each entry's answer carries for them. */
  private readonly perEntryBytes: number;
  /** Set only when the request names a quota property: no statfs for the listings that do not. */
  private readonly spaces: SpaceOfFileSystems | undefined;

  constructor(
    private readonly request: PropfindRequest,
    private readonly state: PropfindState | undefined,
    private readonly answer: StreamedAnswer,
  ) {
    this.requested =
      request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
    for (const name of this.requested) this.scope.prefixOf(name.namespace);
    this.named = new Set(this.requested.map(propertyKey));
    this.listsLocks =
      request.kind === 'allprop' ||
      this.named.has(propertyKey({ namespace: DAV_NAMESPACE, local: 'lockdiscovery' }));
    this.perEntryBytes = this.requested.reduce(
      (sum, name) => sum + emptyPropertyXml(name, this.scope).length,
      0,
    );
    this.spaces = this.requested.some(isQuotaProperty) ? new SpaceOfFileSystems() : undefined;
    this.opening = `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:"${this.scope.declarations()}>`;
  }

  private readonly opening: string;
  private opened = false;

  get bytes(): number {
    return this.answer.bytes;
  }

  get isClosed(): boolean {
    return this.answer.isClosed;
  }

  /**
   * About how many bytes the state and the request add to the entry at `path` (lock discovery, dead
   * properties, the requested names): the part of an answer the guest can inflate.
   */
  stateBytes(path: string): number {
    const { request, state, named } = this;
    let total =
      this.perEntryBytes + (this.listsLocks && state !== undefined ? state.lockDiscoveryXml(path).length : 0);
    for (const property of state?.deadProperties(path) ?? []) {
      if (request.kind === 'propname') total += emptyPropertyXml(property, this.scope).length;
      else if (request.kind === 'allprop' || named.has(propertyKey(property)))
        total += deadPropertyXml(property, new NamespaceScope('e', this.scope)).length;
    }
    return total;
  }

  /** The space figures a collection's quota properties need (one statfs per file system), if asked for. */
  async spaceOf(real: string, stats: Stats): Promise<FileSystemSpace | undefined> {
    return this.spaces !== undefined && stats.isDirectory() ? this.spaces.of(real, stats) : undefined;
  }

  async add(entry: Entry): Promise<void> {
    const xml = this.responseXml(entry);
    if (this.opened) return this.answer.write(xml);
    this.opened = true;
    return this.answer.write(this.opening + xml);
  }

  async finish(): Promise<void> {
    await this.answer.write('</D:multistatus>');
    this.answer.end();
  }

  private responseXml(entry: Entry): string {
    const isFolder = entry.stats.isDirectory();
    const dead = this.state?.deadProperties(entry.path) ?? [];
    const local = new NamespaceScope('e', this.scope);
    const live = (name: LivePropertyName) =>
      livePropertyXml(
        name,
        entry.stats,
        entry.displayName,
        name === 'lockdiscovery' ? this.state?.lockDiscoveryXml(entry.path) : undefined,
      );
    const found: string[] = [];
    const missing: string[] = [];
    switch (this.request.kind) {
      case 'allprop': {
        found.push(...livePropertyNames(isFolder).map(live));
        found.push(...dead.map((property) => deadPropertyXml(property, local)));
        const present = new Set(dead.map(propertyKey));
        for (const name of this.requested) {
          const quota = isQuotaProperty(name) ? this.quotaXml(name.local, entry) : undefined;
          if (quota !== undefined) found.push(quota);
          else if (!isLive(name, isFolder) && !present.has(propertyKey(name)))
            missing.push(emptyPropertyXml(name, this.scope));
        }
        break;
      }
      case 'propname':
        found.push(...livePropertyNames(isFolder).map((name) => `<D:${name}/>`));
        if (isFolder) found.push(...QUOTA_PROPERTY_NAMES.map((name) => `<D:${name}/>`));
        found.push(...dead.map((property) => emptyPropertyXml(property, local)));
        break;
      case 'prop': {
        const deadByKey = new Map(dead.map((property) => [propertyKey(property), property]));
        for (const name of this.requested) {
          const deadProperty = deadByKey.get(propertyKey(name));
          const quota = isQuotaProperty(name) ? this.quotaXml(name.local, entry) : undefined;
          if (name.namespace === DAV_NAMESPACE && isLivePropertyOf(name.local, isFolder))
            found.push(live(name.local));
          else if (quota !== undefined) found.push(quota);
          else if (deadProperty !== undefined) found.push(deadPropertyXml(deadProperty, local));
          else missing.push(emptyPropertyXml(name, this.scope));
        }
        break;
      }
    }
    const propstats =
      (found.length > 0 || missing.length === 0 ? propstat(found, '200 OK', local.declarations()) : '') +
      (missing.length > 0 ? propstat(missing, '404 Not Found', '') : '');
    return `<D:response><D:href>${escapeXml(entry.href)}</D:href>${propstats}</D:response>`;
  }

  /** A collection's quota property; undefined for a file, or when statfs failed (then it is missing). */
  private quotaXml(name: QuotaPropertyName, entry: Entry): string | undefined {
    return entry.space === undefined ? undefined : quotaPropertyXml(name, entry.space);
  }
}

function isLive(name: PropertyName, isFolder: boolean): boolean {
  return name.namespace === DAV_NAMESPACE && isLivePropertyOf(name.local, isFolder);
}

function propstat(properties: readonly string[], status: string, declarations: string): string {
  return (
    `<D:propstat><D:prop${declarations}>${properties.join('')}</D:prop>` +
    `<D:status>HTTP/1.1 ${status}</D:status></D:propstat>`
  );
}

function hrefOf(url: string, isFolder: boolean): string {
  return isFolder && !url.endsWith('/') ? `${url}/` : url;
}
