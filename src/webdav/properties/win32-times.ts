import { promises as fsp } from 'node:fs';
import { atName } from '../anchored-names';
import { propertyKey, type PropertyName } from './dead-property';
import type { PropertyOperation } from './proppatch';

/**
 * The namespace of the properties Windows' WebDAV mini-redirector sets with PROPPATCH right after a PUT
 * (Win32CreationTime, Win32LastAccessTime, Win32LastModifiedTime, Win32FileAttributes), so a copied file
 * keeps its dates as on a local disk.
 */
export const WIN32_NAMESPACE = 'urn:schemas-microsoft-com:';

/** The two of them a POSIX file system can take: they go to the file's times, not to the dead properties. */
const APPLIED_TIMES = ['Win32LastModifiedTime', 'Win32LastAccessTime'] as const;
type AppliedTime = (typeof APPLIED_TIMES)[number];

/** The times a PROPPATCH sets on the file (none, one or both), or the property whose value is not a date. */
export type Win32Times =
  | { readonly kind: 'times'; readonly modified?: Date; readonly accessed?: Date }
  | { readonly kind: 'invalid'; readonly name: PropertyName; readonly reason: string };

/** True for the properties applied to the file's times (so not stored as dead properties). */
export function isAppliedTime(name: PropertyName): boolean {
  return name.namespace === WIN32_NAMESPACE && (APPLIED_TIMES as readonly string[]).includes(name.local);
}

/**
 * The file times a PROPPATCH's operations set (the last set of each wins, as in document order). A value
 * that is not an HTTP date makes the whole PROPPATCH fail (RFC 4918 §9.2: all or nothing; the caller
 * answers 409 for that property, 424 for the others). Pure.
 */
export function readWin32Times(operations: readonly PropertyOperation[]): Win32Times {
  const times = new Map<AppliedTime, Date>();
  for (const operation of operations) {
    if (operation.kind !== 'set' || !isAppliedTime(operation.property)) continue;
    const { property } = operation;
    const text = property.value.every((node) => node.kind === 'text')
      ? property.value.map((node) => (node.kind === 'text' ? node.text : '')).join('')
      : undefined;
    const date = text === undefined ? undefined : parseHttpDate(text.trim());
    if (date === undefined)
      return {
        kind: 'invalid',
        name: property,
        reason: `${property.local} must be a date such as "Tue, 15 Nov 1994 08:12:31 GMT"`,
      };
    times.set(property.local as AppliedTime, date);
  }
  return {
    kind: 'times',
    modified: times.get('Win32LastModifiedTime'),
    accessed: times.get('Win32LastAccessTime'),
  };
}

export type TimesApplied = { readonly kind: 'applied' } | { readonly kind: 'failed'; readonly code: string };

/**
 * Sets the file's modification and access times (a time not given stays as it is) on the resolved real path,
 * never following a symlink there (lutimes): the path was confined by the caller, and a link swapped in
 * since would have its own times changed, not its target's; a folder on the way swapped for a link fails the
 * call (anchored-names.ts).
 */
export async function applyWin32Times(
  real: string,
  times: Extract<Win32Times, { kind: 'times' }>,
): Promise<TimesApplied> {
  if (times.modified === undefined && times.accessed === undefined) return { kind: 'applied' };
  try {
    const current = await fsp.lstat(real);
    // In seconds from the ms figures: Date would drop the sub-millisecond part of the time kept.
    const accessed = times.accessed ?? current.atimeMs / 1000;
    const modified = times.modified ?? current.mtimeMs / 1000;
    await atName(real, (at) => fsp.lutimes(at, accessed, modified));
    return { kind: 'applied' };
  } catch (error) {
    return { kind: 'failed', code: (error as NodeJS.ErrnoException).code ?? 'EIO' };
  }
}

/** The names the operations touch that are applied as times: their keys, to leave them out of the store. */
export function appliedTimeKeys(operations: readonly PropertyOperation[]): ReadonlySet<string> {
  return new Set(
    operations
      .map((operation) => (operation.kind === 'set' ? operation.property : operation.name))
      .filter(isAppliedTime)
      .map(propertyKey),
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An HTTP date in its preferred form (RFC 9110 §5.6.7 IMF-fixdate, RFC 1123's: what the mini-redirector
 * sends), e.g. "Tue, 15 Nov 1994 08:12:31 GMT"; undefined for anything else, an impossible day (31 Feb) or
 * second included. The weekday is not checked against the date (it adds nothing a client could get wrong
 * that matters here).
 */
export function parseHttpDate(text: string): Date | undefined {
  const match = IMF_FIXDATE.exec(text);
  if (match === null) return undefined;
  const month = MONTHS.indexOf(match[2] ?? '');
  const [day, year, hours, minutes, seconds] = [1, 3, 4, 5, 6].map((group) => Number(match[group]));
  if (day === undefined || year === undefined || hours === undefined) return undefined;
  if (minutes === undefined || seconds === undefined) return undefined;
  if (month === -1 || hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const date = new Date(Date.UTC(year, month, day, hours, minutes, seconds));
  const exact = date.getUTCFullYear() === year && date.getUTCMonth() === month && date.getUTCDate() === day;
  return exact ? date : undefined;
}

const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/u;
