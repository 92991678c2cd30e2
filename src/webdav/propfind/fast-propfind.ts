import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { isUploadTempName } from '../atomic-file-writer';
import { isWithin, type Location } from '../path-confinement';
import {
  deadPropertyXml,
  emptyPropertyXml,
  propertyKey,
  type DeadProperty,
} from '../properties/dead-property';
import {
  isLivePropertyOf,
  livePropertyNames,
  livePropertyXml,
  type LivePropertyName,
} from './live-properties';
import { parsePropfindBody, type PropertyName, type PropfindRequest } from './propfind-request';
import { escapeXml } from './xml-escape';

/** How many entries of a folder are stat'ed at once: enough to keep the thread pool busy, bounded memory. */
const STAT_BATCH = 128;

export interface FastPropfindInput {
  readonly rootReal: string;
  readonly segments: readonly string[];
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly locate: (segments: readonly string[]) => Promise<Location>;
  /** Dead properties and locks, when the engine keeps any; without it none exist. */
  readonly state?: PropfindState;
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
}

/**
 * PROPFIND Depth 0 or 1 with allprop, propname or prop, answered straight from the file system: one stat per
 * entry, batched, one response buffer. The full engine asks the file system again for every property of every
 * entry (seconds and hundreds of MiB for 10,000 files). Dead properties and lock discovery come from `state`
 * (the engine's, which the library never sees). Returns false, having written nothing,
 * for anything it does not answer itself; the caller then hands the request to the full engine.
 */
export async function answerPropfindFast(input: FastPropfindInput, res: ServerResponse): Promise<boolean> {
  const depth = input.headers['depth'];
  const host = input.headers['host'];
  if ((depth !== '0' && depth !== '1') || typeof host !== 'string' || host === '') return false;
  const request = parsePropfindBody(input.body);
  if (request === undefined) return false;
  let entries: Entry[];
  try {
    const location = await input.locate(input.segments);
    if (location.kind !== 'inside' || !location.exists) return false;
    const stats = await fsp.stat(location.real);
    if (!stats.isDirectory() && !stats.isFile()) return false;
    const base = `http://${host}/${input.segments.map(encodeSegment).join('/')}`;
    const selfPath = `/${input.segments.join('/')}`;
    const self: Entry = {
      href: hrefOf(base, stats.isDirectory() || input.segments.length === 0),
      path: selfPath,
      displayName: input.segments.at(-1) ?? '',
      stats,
    };
    entries = [self];
    if (depth === '1' && stats.isDirectory()) {
      const prefix = base.endsWith('/') ? base : `${base}/`;
      entries.push(...(await childEntries(input.rootReal, location.real, prefix, selfPath)));
    }
  } catch {
    return false;
  }
  const body = Buffer.from(multistatus(entries, request, input.state), 'utf8');
  res.writeHead(207, {
    'Content-Type': 'application/xml;charset=utf-8',
    'Content-Length': body.length,
    DAV: '1,2',
    'MS-Author-Via': 'DAV',
  });
  res.end(body);
  return true;
}

async function childEntries(
  rootReal: string,
  folderReal: string,
  prefix: string,
  folderPath: string,
): Promise<Entry[]> {
  const dirents = (await fsp.readdir(folderReal, { withFileTypes: true })).filter(
    (dirent) => !isUploadTempName(dirent.name),
  );
  const entries: Entry[] = [];
  for (let i = 0; i < dirents.length; i += STAT_BATCH) {
    const batch = await Promise.all(
      dirents
        .slice(i, i + STAT_BATCH)
        .map((dirent) => visibleStats(rootReal, `${folderReal}/${dirent.name}`, dirent)),
    );
    batch.forEach((stats, j) => {
      const name = dirents[i + j]?.name;
      if (stats === undefined || name === undefined) return;
      entries.push({
        href: hrefOf(prefix + encodeSegment(name), stats.isDirectory()),
        path: folderPath === '/' ? `/${name}` : `${folderPath}/${name}`,
        displayName: name,
        stats,
      });
    });
  }
  return entries;
}

/** Stats of an entry a guest may see (as the confined file system lists them), else undefined. */
async function visibleStats(rootReal: string, real: string, dirent: Dirent): Promise<Stats | undefined> {
  try {
    if (dirent.isFile() || dirent.isDirectory()) {
      const stats = await fsp.stat(real);
      return stats.isFile() || stats.isDirectory() ? stats : undefined;
    }
    if (!dirent.isSymbolicLink()) return undefined;
    const target = await fsp.realpath(real);
    if (!isWithin(rootReal, target)) return undefined;
    const stats = await fsp.stat(target);
    return stats.isFile() || stats.isDirectory() ? stats : undefined;
  } catch {
    return undefined; // gone since readdir, or unreadable: not listed
  }
}

function hrefOf(url: string, isFolder: boolean): string {
  return isFolder && !url.endsWith('/') ? `${url}/` : url;
}

function encodeSegment(segment: string): string {
  return encodeURI(segment).replace(/[?#]/g, (c) => encodeURIComponent(c));
}

function multistatus(
  entries: readonly Entry[],
  request: PropfindRequest,
  state: PropfindState | undefined,
): string {
  const parts: string[] = ['<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">'];
  for (const entry of entries) parts.push(responseXml(entry, request, state));
  parts.push('</D:multistatus>');
  return parts.join('');
}

function responseXml(entry: Entry, request: PropfindRequest, state: PropfindState | undefined): string {
  const isFolder = entry.stats.isDirectory();
  const href = `<D:href>${escapeXml(entry.href)}</D:href>`;
  const dead = state?.deadProperties(entry.path) ?? [];
  const live = (name: LivePropertyName) =>
    livePropertyXml(
      name,
      entry.stats,
      entry.displayName,
      name === 'lockdiscovery' ? state?.lockDiscoveryXml(entry.path) : undefined,
    );
  switch (request.kind) {
    case 'allprop':
      return `<D:response>${href}${propstat(
        [...livePropertyNames(isFolder).map(live), ...dead.map(deadPropertyXml)],
        '200 OK',
      )}</D:response>`;
    case 'propname':
      return `<D:response>${href}${propstat(
        [...livePropertyNames(isFolder).map((name) => `<D:${name}/>`), ...dead.map(emptyPropertyXml)],
        '200 OK',
      )}</D:response>`;
    case 'prop': {
      const found: string[] = [];
      const missing: string[] = [];
      const deadByKey = new Map(dead.map((property) => [propertyKey(property), property]));
      for (const name of request.names) {
        const deadProperty = deadByKey.get(propertyKey(name));
        if (name.namespace === 'DAV:' && isLivePropertyOf(name.local, isFolder)) found.push(live(name.local));
        else if (deadProperty !== undefined) found.push(deadPropertyXml(deadProperty));
        else missing.push(emptyElement(name));
      }
      const stats = [
        found.length > 0 ? propstat(found, '200 OK') : '',
        missing.length > 0 ? propstat(missing, '404 Not Found') : '',
      ];
      return `<D:response>${href}${stats.join('')}</D:response>`;
    }
  }
}

function propstat(properties: readonly string[], status: string): string {
  return `<D:propstat><D:prop>${properties.join('')}</D:prop><D:status>HTTP/1.1 ${status}</D:status></D:propstat>`;
}

function emptyElement(name: PropertyName): string {
  if (name.namespace === 'DAV:') return `<D:${name.local}/>`;
  if (name.namespace === '') return `<${name.local} xmlns=""/>`;
  return `<P:${name.local} xmlns:P="${escapeXml(name.namespace)}"/>`;
}
