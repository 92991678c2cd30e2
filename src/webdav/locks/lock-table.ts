import { randomUUID } from 'node:crypto';
import { isSameOrBelow } from '../resource-state-store';

export type LockScope = 'exclusive' | 'shared';
export type LockDepth = '0' | 'infinity';

export interface ActiveLock {
  readonly token: string;
  /** The share path the lock was taken on ("/a/b", "/" for the root). */
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
  /** The <owner> element's content as the client sent it (re-serialized), '' for none. */
  readonly ownerXml: string;
  readonly timeoutSeconds: number;
  /** Milliseconds since the epoch, from the table's clock. */
  readonly expiresAt: number;
}

export interface LockRequest {
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
  readonly ownerXml: string;
  readonly timeoutSeconds: number;
}

export type LockCreation =
  | { readonly kind: 'created'; readonly lock: ActiveLock }
  | { readonly kind: 'conflict'; readonly with: ActiveLock }
  | { readonly kind: 'full' };

/**
 * The engine's write locks (RFC 4918 §6-7), by token. Every guest request is the same anonymous user, so a
 * lock protects a resource from any request that does not submit its token. Bounded: expired locks are
 * dropped whenever the table is read, and at most `maxLocks` exist at once (507 beyond). Lost on restart.
 */
export class LockTable {
  private readonly locks = new Map<string, ActiveLock>();

  constructor(
    private readonly maxLocks: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    this.expire();
    return this.locks.size;
  }

  get(token: string): ActiveLock | undefined {
    this.expire();
    return this.locks.get(token);
  }

  /** Locks that cover a path: taken on it, or depth-infinity locks taken on an ancestor. */
  covering(path: string): ActiveLock[] {
    this.expire();
    return [...this.locks.values()].filter((lock) => covers(lock, path));
  }

  /** Locks taken strictly below a path. */
  below(path: string): ActiveLock[] {
    this.expire();
    return [...this.locks.values()].filter((lock) => lock.root !== path && isSameOrBelow(lock.root, path));
  }

  /** Locks taken exactly on a path (any depth). */
  on(path: string): ActiveLock[] {
    this.expire();
    return [...this.locks.values()].filter((lock) => lock.root === path);
  }

  create(request: LockRequest): LockCreation {
    const conflicting = [
      ...this.covering(request.root),
      ...(request.depth === 'infinity' ? this.below(request.root) : []),
    ].find((lock) => lock.scope === 'exclusive' || request.scope === 'exclusive');
    if (conflicting) return { kind: 'conflict', with: conflicting };
    if (this.locks.size >= this.maxLocks) return { kind: 'full' };
    const lock: ActiveLock = {
      ...request,
      token: `urn:uuid:${randomUUID()}`,
      expiresAt: this.now() + request.timeoutSeconds * 1000,
    };
    this.locks.set(lock.token, lock);
    return { kind: 'created', lock };
  }

  refresh(token: string, timeoutSeconds: number): ActiveLock | undefined {
    const lock = this.get(token);
    if (!lock) return undefined;
    const refreshed: ActiveLock = { ...lock, timeoutSeconds, expiresAt: this.now() + timeoutSeconds * 1000 };
    this.locks.set(token, refreshed);
    return refreshed;
  }

  remove(token: string): boolean {
    return this.locks.delete(token);
  }

  /** Drops the locks taken on a path or below it (the resources are gone: DELETE, MOVE, or replaced). */
  forgetTree(path: string): void {
    for (const lock of [...this.locks.values()])
      if (isSameOrBelow(lock.root, path)) this.locks.delete(lock.token);
  }

  /** Seconds left before a lock expires (at least 0). */
  secondsLeft(lock: ActiveLock): number {
    return Math.max(0, Math.round((lock.expiresAt - this.now()) / 1000));
  }

  private expire(): void {
    const now = this.now();
    for (const lock of [...this.locks.values()]) if (lock.expiresAt <= now) this.locks.delete(lock.token);
  }
}

export function covers(lock: ActiveLock, path: string): boolean {
  return lock.root === path || (lock.depth === 'infinity' && isSameOrBelow(path, lock.root));
}
