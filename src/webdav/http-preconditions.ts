import type { Stats } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { entityTag } from './entity-tag';

/** The 412's text, for every method. */
export const CHANGED_SINCE =
  "The file or folder is not as this request's conditions (If-Match, If-None-Match, If-Unmodified-Since) " +
  'require: it changed since the client read it, or is there where it should not be. Nothing was changed.';

/** What HTTP's conditional headers say about a request: go on, 304 (GET and HEAD only), or 412. */
export type ConditionVerdict = 'proceed' | 'not-modified' | 'failed';

/** Whether a request carries any of the conditions `evaluateConditions` reads (most carry none). */
export function hasConditions(headers: IncomingHttpHeaders): boolean {
  return (
    headers['if-match'] !== undefined ||
    headers['if-none-match'] !== undefined ||
    headers['if-unmodified-since'] !== undefined ||
    headers['if-modified-since'] !== undefined
  );
}

/**
 * RFC 9110 §13.2.2, in its order, against what is at the target now (`current`: its stats, undefined when
 * nothing is there). `safe`: GET or HEAD, whose failed If-None-Match and If-Modified-Since mean 304; for any
 * other method they mean 412, and If-Modified-Since is ignored. Pure.
 *
 * This is what keeps a guest's editor from losing the host's changes: davfs2 sends every PUT with
 * `If-Match: "<the tag it read>"`, and a file changed since then must be refused, not replaced.
 */
export function evaluateConditions(
  headers: IncomingHttpHeaders,
  current: Stats | undefined,
  safe: boolean,
): ConditionVerdict {
  if (!hasConditions(headers)) return 'proceed'; // most requests: no tag to make
  const etag = current === undefined ? undefined : entityTag(current);
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (etag === undefined || !listMatches(ifMatch, etag, 'strong')) return 'failed';
  } else if (current !== undefined) {
    const since = httpDate(headers['if-unmodified-since']);
    if (since !== undefined && wholeSeconds(current) > since) return 'failed';
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (etag !== undefined && listMatches(ifNoneMatch, etag, 'weak')) return safe ? 'not-modified' : 'failed';
  } else if (safe && current !== undefined) {
    const since = httpDate(headers['if-modified-since']);
    if (since !== undefined && wholeSeconds(current) <= since) return 'not-modified';
  }
  return 'proceed';
}

/** An entity-tag list ("*" or tags separated by commas) holds `etag`; weak comparison ignores `W/`. */
function listMatches(header: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    if (tag === '*') return true;
    if (comparison === 'strong') return tag === etag; // a weak tag never matches strongly
    return tag.replace(/^W\//, '') === etag;
  });
}

/** An HTTP date in ms, or undefined for a missing or unreadable one (which RFC 9110 says to ignore). */
function httpDate(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Date.parse(header);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Last-Modified has whole seconds: compare what the client could have been told. */
function wholeSeconds(stats: Stats): number {
  return Math.floor(stats.mtimeMs / 1000) * 1000;
}
