import {
  DEFAULT_LOCK_BUDGET,
  LOCK_ENTRY_BYTES,
  LockTable,
  type LockRequest,
} from '../../../../src/webdav/locks/lock-table';

function request(root: string, overrides: Partial<LockRequest> = {}): LockRequest {
  return { root, depth: '0', scope: 'exclusive', owner: [], timeoutSeconds: 60, ...overrides };
}

describe('LockTable', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  function created(table: LockTable, lockRequest: LockRequest) {
    const result = table.create(lockRequest);
    if (result.kind !== 'created') throw new Error(`expected a lock, got ${result.kind}`);
    return result.lock;
  }

  it('hands out unpredictable urn:uuid tokens', () => {
    const table = new LockTable(10, clock);
    const a = created(table, request('/a'));
    const b = created(table, request('/b'));
    expect(a.token).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(a.token).not.toBe(b.token);
  });

  it('refuses an exclusive lock over any lock and a shared lock over an exclusive one', () => {
    const table = new LockTable(10, clock);
    const shared = created(table, request('/a', { scope: 'shared' }));
    expect(table.create(request('/a', { scope: 'shared' })).kind).toBe('created');
    expect(table.create(request('/a'))).toEqual({ kind: 'conflict', with: shared });
    created(table, request('/b'));
    expect(table.create(request('/b', { scope: 'shared' })).kind).toBe('conflict');
  });

  it('lets a depth-infinity lock cover the tree below it, and conflict with locks there', () => {
    const table = new LockTable(10, clock);
    created(table, request('/dir/sub/f'));
    expect(table.create(request('/dir', { depth: 'infinity' })).kind).toBe('conflict');
    const zero = created(table, request('/dir', { depth: '0' }));
    expect(table.covering('/dir/x')).toEqual([]);
    table.remove(zero.token);
    table.forgetTree('/dir/sub');
    const deep = created(table, request('/dir', { depth: 'infinity' }));
    expect(table.covering('/dir/x/y')).toEqual([deep]);
    expect(table.covering('/dirt')).toEqual([]);
    expect(table.create(request('/dir/x')).kind).toBe('conflict');
  });

  it('drops expired locks and refreshes the expiry', () => {
    const table = new LockTable(10, clock);
    const lock = created(table, request('/a', { timeoutSeconds: 10 }));
    now += 9_000;
    expect(table.secondsLeft(lock)).toBe(1);
    const refreshed = table.refresh(lock.token, 30);
    expect(refreshed && table.secondsLeft(refreshed)).toBe(30);
    now += 30_000;
    expect(table.get(lock.token)).toBeUndefined();
    expect(table.size).toBe(0);
    expect(table.refresh(lock.token, 30)).toBeUndefined();
  });

  it(`holds at most maxLocks locks`, () => {
    const table = new LockTable(2, clock);
    created(table, request('/a'));
    created(table, request('/b'));
    expect(table.create(request('/c'))).toEqual({ kind: 'full' });
  });

  it('charges the paths of locks to a byte budget, and gives it back as they go', () => {
    const budget = { ...DEFAULT_LOCK_BUDGET, maxTotalPathBytes: 3 * (LOCK_ENTRY_BYTES + 3000) };
    const table = new LockTable(10_000, clock, budget);
    const long = (i: number) => `${'/d'.repeat(1499)}/${i}`; // 3,000 bytes
    const locks = [0, 1, 2].map((i) => created(table, request(long(i))));
    expect(table.create(request(long(3)))).toEqual({ kind: 'full' });
    table.remove(locks[0]?.token ?? '');
    created(table, request(long(3)));
  });

  it('forgets the locks of a removed tree, not of a sibling with the same prefix', () => {
    const table = new LockTable(10, clock);
    created(table, request('/dir'));
    created(table, request('/dir/a'));
    const sibling = created(table, request('/dir2'));
    table.forgetTree('/dir');
    expect(table.size).toBe(1);
    expect(table.get(sibling.token)).toEqual(sibling);
  });
});
