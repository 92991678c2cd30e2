import { randomUUID } from 'node:crypto';
import { isSameOrBelow } from '../resource-state-store';
import { fragmentCost } from '../xml/xml-fragment';
import { PathIndex } from './path-index';
import type { XmlNode } from '../xml/xml-node';

export type LockScope = 'exclusive' | 'shared';
export type LockDepth = '0' | 'infinity';

export interface ActiveLock {
  readonly token: string;
  /** The share path the lock was taken on ("/a/b", "/" for the root). */
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
  /** The <owner> element's content as the client sent it (empty for none). */
  readonly owner: readonly XmlNode[];
  /** What keeping `owner` costs (fragmentCost), counted against the table's byte budgets. */
  readonly ownerBytes: number;
  readonly timeoutSeconds: number;
  /** Milliseconds since the epoch, from the table's clock. */
  readonly expiresAt: number;
}

export interface LockRequest {
  readonly root: string;
  readonly depth: LockDepth;
  readonly scope: LockScope;
  readonly owner: readonly XmlNode[];
  readonly timeoutSeconds: number;
}

export type LockCreation =
  | { readonly kind: 'created'; readonly lock: ActiveLock }
  | { readonly kind: 'conflict'; readonly with: ActiveLock }
  /** Too many locks, or too many owner bytes in all. */
  | { readonly kind: 'full' }
  /** This lock's owner alone is over the per-lock budget. */
  | { readonly kind: 'owner-too-large'; readonly maxOwnerBytes: number };

/** Byte budgets for the guest-sized parts of locks: their owners, and the paths they are taken on. */
export interface LockBudget {
  readonly maxOwnerBytes: number;
  readonly maxTotalOwnerBytes: number;
  /**
   * Paths of all locks together, each charged its length and LOCK_ENTRY_BYTES: a count alone let 10,000 locks
   * on paths of 3.5 KB hold about 40 MiB (an attacker's finding, session 28).
   */
  readonly maxTotalPathBytes: number;
}

export const DEFAULT_LOCK_BUDGET: LockBudget = {
  maxOwnerBytes: 16 * 1024,
  maxTotalOwnerBytes: 4 * 1024 * 1024,
  maxTotalPathBytes: 4 * 1024 * 1024,
};

/** What a lock costs besides its path and owner: its record, its token, its place in the index. */
export const LOCK_ENTRY_BYTES = 256;

/**
 * The engine's write locks (RFC 4918 §6-7), by token. Every guest request is the same anonymous user, so a
 * lock protects a resource from any request that does not submit its token. Bounded: expired locks are
 * dropped whenever the table is read, at most `maxLocks` exist at once, owners have a byte budget per lock
 * and in all, and so have the paths locks are taken on, in all (507 beyond). Locks are indexed by root in a tree of names, so finding the locks covering a
 * path, or below it, costs the path's length, not the table's size nor the path's length squared (PROPFIND
 * asks for every entry). Lost on restart.
 */
export class LockTable {
  private readonly locks = new Map<string, ActiveLock>();
  private readonly byRoot = new PathIndex<string>();
  private ownerBytes = 0;
  private pathBytes = 0;
  /** No lock expires before this; expire() sweeps only once it has passed. */
  private nextExpiry = Infinity;

  constructor(
    private readonly maxLocks: number,
    private readonly now: () => number = Date.now,
    private readonly budget: LockBudget = DEFAULT_LOCK_BUDGET,
  ) {}

  get size(): number {
    this.expire();
    return this.locks.size;
  }

  /** Owner bytes charged for the locks held now. */
  get ownerBytesUsed(): number {
    this.expire();
    return this.ownerBytes;
  }

  get(token: string): ActiveLock | undefined {
    this.expire();
    return this.locks.get(token);
  }

  /** Locks that cover a path: taken on it, or depth-infinity locks taken on an ancestor. */
  covering(path: string): ActiveLock[] {
    this.expire();
    if (this.locks.size === 0) return [];
    const found: ActiveLock[] = [];
    for (const { value: token, exact } of this.byRoot.along(path)) {
      const lock = this.locks.get(token);
      if (lock !== undefined && (exact || lock.depth === 'infinity')) found.push(lock);
    }
    return found;
  }

  /** Locks taken strictly below a path. */
  below(path: string): ActiveLock[] {
    this.expire();
    if (this.locks.size === 0) return [];
    return this.tokensToLocks(this.byRoot.below(path));
  }

  /** Locks taken exactly on a path (any depth). */
  on(path: string): ActiveLock[] {
    this.expire();
    return this.tokensToLocks(this.byRoot.at(path));
  }

  create(request: LockRequest): LockCreation {
    const conflicting = [
      ...this.covering(request.root),
      ...(request.depth === 'infinity' ? this.below(request.root) : []),
    ].find((lock) => lock.scope === 'exclusive' || request.scope === 'exclusive');
    if (conflicting) return { kind: 'conflict', with: conflicting };
    const ownerBytes = fragmentCost(request.owner);
    if (ownerBytes > this.budget.maxOwnerBytes)
      return { kind: 'owner-too-large', maxOwnerBytes: this.budget.maxOwnerBytes };
    if (
      this.locks.size >= this.maxLocks ||
      this.ownerBytes + ownerBytes > this.budget.maxTotalOwnerBytes ||
      this.pathBytes + pathCost(request.root) > this.budget.maxTotalPathBytes
    )
      return { kind: 'full' };
    const lock: ActiveLock = {
      ...request,
      ownerBytes,
      token: `urn:uuid:${randomUUID()}`,
      expiresAt: this.now() + request.timeoutSeconds * 1000,
    };
    this.add(lock);
    return { kind: 'created', lock };
  }

  refresh(token: string, timeoutSeconds: number): ActiveLock | undefined {
    const lock = this.get(token);
    if (!lock) return undefined;
    const refreshed: ActiveLock = { ...lock, timeoutSeconds, expiresAt: this.now() + timeoutSeconds * 1000 };
    this.locks.set(token, refreshed);
    this.nextExpiry = Math.min(this.nextExpiry, refreshed.expiresAt);
    return refreshed;
  }

  remove(token: string): boolean {
    const lock = this.locks.get(token);
    if (lock === undefined) return false;
    this.locks.delete(token);
    this.ownerBytes -= lock.ownerBytes;
    this.pathBytes -= pathCost(lock.root);
    this.byRoot.remove(lock.root, token);
    return true;
  }

  /** Drops the locks taken on a path or below it (the resources are gone: DELETE, MOVE, or replaced). */
  forgetTree(path: string): void {
    if (this.locks.size === 0) return;
    for (const token of [...this.byRoot.at(path), ...this.byRoot.below(path)]) this.remove(token);
  }

  /** Seconds left before a lock expires (at least 0). */
  secondsLeft(lock: ActiveLock): number {
    return Math.max(0, Math.round((lock.expiresAt - this.now()) / 1000));
  }

  private add(lock: ActiveLock): void {
    this.locks.set(lock.token, lock);
    this.ownerBytes += lock.ownerBytes;
    this.pathBytes += pathCost(lock.root);
    this.byRoot.add(lock.root, lock.token);
    this.nextExpiry = Math.min(this.nextExpiry, lock.expiresAt);
  }

  private tokensToLocks(tokens: readonly string[]): ActiveLock[] {
    return tokens
      .map((token) => this.locks.get(token))
      .filter((lock): lock is ActiveLock => lock !== undefined);
  }

  private expire(): void {
    const now = this.now();
    if (now < this.nextExpiry) return;
    this.nextExpiry = Infinity;
    for (const lock of [...this.locks.values()]) {
      if (lock.expiresAt <= now) this.remove(lock.token);
      else this.nextExpiry = Math.min(this.nextExpiry, lock.expiresAt);
    }
  }
}

function pathCost(root: string): number {
  return LOCK_ENTRY_BYTES + root.length;
}

export function covers(lock: ActiveLock, path: string): boolean {
  return lock.root === path || (lock.depth === 'infinity' && isSameOrBelow(path, lock.root));
}
