import { firstUnsatisfied, locksAffected, parentOf } from '../../../../src/webdav/locks/lock-protection';
import { LockTable, type ActiveLock, type LockRequest } from '../../../../src/webdav/locks/lock-table';

function lock(table: LockTable, root: string, overrides: Partial<LockRequest> = {}): ActiveLock {
  const result = table.create({
    root,
    depth: '0',
    scope: 'exclusive',
    owner: [],
    timeoutSeconds: 60,
    ...overrides,
  });
  if (result.kind !== 'created') throw new Error(`expected a lock, got ${result.kind}`);
  return result.lock;
}

describe('lock protection', () => {
  it('protects a resource by its own locks and by depth-infinity locks of its ancestors', () => {
    const table = new LockTable(10);
    const own = lock(table, '/a/f');
    const deep = lock(table, '/b', { depth: 'infinity' });
    expect(locksAffected(table, [{ kind: 'resource', path: '/a/f' }])).toEqual([own]);
    expect(locksAffected(table, [{ kind: 'resource', path: '/b/c/f' }])).toEqual([deep]);
    expect(locksAffected(table, [{ kind: 'resource', path: '/a' }])).toEqual([]);
  });

  it('protects the membership of a collection locked with depth 0', () => {
    const table = new LockTable(10);
    const folder = lock(table, '/dir');
    expect(locksAffected(table, [{ kind: 'resource', path: '/dir/f' }])).toEqual([]);
    expect(locksAffected(table, [{ kind: 'membership', path: '/dir/f' }])).toEqual([folder]);
  });

  it('protects a removed tree by the locks below it', () => {
    const table = new LockTable(10);
    const inner = lock(table, '/dir/sub/f');
    expect(locksAffected(table, [{ kind: 'tree', path: '/dir' }])).toEqual([inner]);
    expect(locksAffected(table, [{ kind: 'tree', path: '/' }])).toEqual([inner]);
  });

  it('needs every exclusive token, and one token per set of shared locks on the same root', () => {
    const table = new LockTable(10);
    const exclusive = lock(table, '/e');
    const one = lock(table, '/s', { scope: 'shared' });
    const two = lock(table, '/s', { scope: 'shared' });
    expect(firstUnsatisfied([exclusive], new Set())).toBe(exclusive);
    expect(firstUnsatisfied([exclusive], new Set([exclusive.token]))).toBeUndefined();
    expect(firstUnsatisfied([one, two], new Set())).toBe(one);
    expect(firstUnsatisfied([one, two], new Set([two.token]))).toBeUndefined();
    expect(firstUnsatisfied([exclusive, one, two], new Set([one.token]))).toBe(exclusive);
  });

  // 10,000 shared locks on `/` and a request submitting the last one's token held the event loop for over a
  // minute: every shared lock looked for a submitted holder among all the others.
  it('judges many shared locks with work linear in their number', () => {
    const table = new LockTable(5000);
    const shared = Array.from({ length: 4000 }, () => lock(table, '/', { scope: 'shared' }));
    const last = shared.at(-1)?.token ?? '';
    let lookups = 0;
    const submitted = new (class extends Set<string> {
      override has(token: string): boolean {
        lookups += 1;
        return super.has(token);
      }
    })([last]);
    expect(firstUnsatisfied(shared, submitted)).toBeUndefined();
    expect(firstUnsatisfied(shared, new Set())).toBe(shared[0]);
    expect(lookups).toBeLessThanOrEqual(2 * shared.length);
  });

  it('knows the parent of a share path', () => {
    expect(parentOf('/a/b')).toBe('/a');
    expect(parentOf('/a')).toBe('/');
    expect(parentOf('/')).toBe('/');
  });
});
