import type { ActiveLock, LockTable } from './lock-table';

/**
 * What a request changes, for lock checks (RFC 4918 §7): the resource itself (content or properties), its
 * membership in its parent collection (it is created or removed), or a whole tree (removed or replaced with
 * everything below it).
 */
export type Change =
  | { readonly kind: 'resource'; readonly path: string }
  | { readonly kind: 'membership'; readonly path: string }
  | { readonly kind: 'tree'; readonly path: string };

/** The locks whose tokens a request making these changes must submit. */
export function locksAffected(table: LockTable, changes: readonly Change[]): ActiveLock[] {
  const affected = new Map<string, ActiveLock>();
  const add = (locks: readonly ActiveLock[]) => locks.forEach((lock) => affected.set(lock.token, lock));
  for (const change of changes) {
    add(table.covering(change.path));
    if (change.kind !== 'resource' && change.path !== '/') add(table.on(parentOf(change.path)));
    if (change.kind === 'tree') add(table.below(change.path));
  }
  return [...affected.values()];
}

/**
 * The first affected lock the request has no right to pass: an exclusive lock whose token it did not submit,
 * or a shared lock none of whose holders' tokens (shared locks on the same root) it submitted. Pure.
 */
export function firstUnsatisfied(
  affected: readonly ActiveLock[],
  submitted: ReadonlySet<string>,
): ActiveLock | undefined {
  return affected.find((lock) => {
    if (submitted.has(lock.token)) return false;
    if (lock.scope === 'exclusive') return true;
    return !affected.some(
      (other) => other.scope === 'shared' && other.root === lock.root && submitted.has(other.token),
    );
  });
}

export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}
