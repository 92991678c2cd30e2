/** Lock lifetime when the client asks for none, and the longest granted (Infinite included). */
export const DEFAULT_LOCK_SECONDS = 3600;
export const MAX_LOCK_SECONDS = 24 * 3600;

/**
 * The lock timeout to grant for a `Timeout` header (RFC 4918 §10.7): the first understood entry of
 * "Second-N" or "Infinite", capped; a header with no understood entry gets the default. Pure.
 */
export function grantedTimeout(header: string | undefined): number {
  for (const entry of (header ?? '').split(',')) {
    const trimmed = entry.trim();
    if (/^infinite$/i.test(trimmed)) return MAX_LOCK_SECONDS;
    const seconds = /^second-(\d{1,12})$/i.exec(trimmed);
    if (seconds?.[1] !== undefined) return Math.min(Math.max(Number(seconds[1]), 1), MAX_LOCK_SECONDS);
  }
  return DEFAULT_LOCK_SECONDS;
}
