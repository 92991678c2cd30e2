import type { DeadProperty } from '../../../src/webdav/properties/dead-property';
import { ResourceStateStore, STATE_ENTRY_BYTES } from '../../../src/webdav/resource-state-store';

function property(local: string, value = 'v'): DeadProperty {
  return { namespace: 'urn:x', local, attributes: [], value: [{ kind: 'text', text: value }] };
}

describe('ResourceStateStore', () => {
  it('keeps an entry only while a path has properties', () => {
    const store = new ResourceStateStore(10);
    expect(store.replace('/a', [property('p')])).toEqual({ kind: 'stored' });
    expect(store.property('/a', { namespace: 'urn:x', local: 'p' })).toEqual(property('p'));
    expect(store.size).toBe(1);
    store.replace('/a', []);
    expect(store.size).toBe(0);
  });

  it('refuses a new path beyond maxPaths and values beyond the byte budget, changing nothing', () => {
    const store = new ResourceStateStore(1, STATE_ENTRY_BYTES + 200);
    store.replace('/a', [property('p')]);
    expect(store.replace('/b', [property('p')])).toEqual({ kind: 'full' });
    expect(store.replace('/a', [property('p', 'x'.repeat(300))])).toEqual({ kind: 'full' });
    expect(store.properties('/a')).toEqual([property('p')]);
    expect(store.replace('/a', [property('q')])).toEqual({ kind: 'stored' });
  });

  it('charges each path its length: long paths fill the byte budget sooner than short ones', () => {
    const budget = 64 * 1024;
    const count = (path: (i: number) => string) => {
      const store = new ResourceStateStore(10_000, budget);
      let stored = 0;
      while (store.replace(path(stored), [property('p')]).kind === 'stored') stored++;
      expect(store.bytesUsed).toBeLessThanOrEqual(budget);
      return stored;
    };
    const long = '/d'.repeat(1500);
    expect(count((i) => `${long}/${i}`)).toBeLessThan(count((i) => `/${i}`) / 5);
  });

  it('moves, copies and forgets whole trees, not siblings that share a prefix', () => {
    const store = new ResourceStateStore(10);
    store.replace('/d', [property('top')]);
    store.replace('/d/f', [property('inner')]);
    store.replace('/d2', [property('sibling')]);
    store.copyTree('/d', '/c', false);
    expect(store.properties('/c')).toEqual([property('top')]);
    expect(store.properties('/c/f')).toEqual([]);
    store.copyTree('/d', '/c', true);
    expect(store.properties('/c/f')).toEqual([property('inner')]);
    store.moveTree('/d', '/m');
    expect(store.properties('/d')).toEqual([]);
    expect(store.properties('/m/f')).toEqual([property('inner')]);
    store.forgetTree('/m');
    expect(store.properties('/d2')).toEqual([property('sibling')]);
    expect(store.size).toBe(3);
  });
});
