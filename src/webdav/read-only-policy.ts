/**
 * Read-only shares allow exactly these methods; everything else gets 403 before the engine sees it.
 * (A PrivilegeManager would make webdav-server answer 401 with a Digest challenge, and guests would then
 * prompt for a password that does not exist.)
 */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND']);

export const READ_ONLY_ALLOW_HEADER = [...READ_ONLY_METHODS].join(', ');

export function isAllowedWhenReadOnly(method: string): boolean {
  return READ_ONLY_METHODS.has(method.toUpperCase());
}
