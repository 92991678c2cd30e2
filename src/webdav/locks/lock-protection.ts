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
 * or a shared lock none of whose holders' tokens (shared locks on the same root) it submitted. Pure, and
 * linear in the locks: the roots passed by a submitted shared token are collected once (asking each shared
 * lock for its holders among all the others was quadratic, and 10,000 shared locks on `/` held the event
 * loop for over a minute per request).
 */
export function firstUnsatisfied(
  affected: readonly ActiveLock[],
  submitted: ReadonlySet<string>,
): ActiveLock | undefined {
  const passedRoots = new Set<string>();
  for (const lock of affected)
    if (lock.scope === 'shared' && submitted.has(lock.token)) passedRoots.add(lock.root);
  return affected.find(
    (lock) => !submitted.has(lock.token) && (lock.scope === 'exclusive' || !passedRoots.has(lock.root)),
  );
}

export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}
