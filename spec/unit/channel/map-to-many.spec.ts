import { mergeMap, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mapToMany } from '../../../src/channel/map-to-many';

const results: Record<string, readonly string[]> = { a: ['a1', 'a2'], b: [], c: ['c1'] };
const lookUp = (value: string): readonly string[] => results[value] ?? [];

describe('mapToMany', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits each value’s results at once and in order, none for an empty one, and completes with its source', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--b--c--|');
      const expected = '   -(pq)--r--|';
      expectObservable(source.pipe(mapToMany(lookUp))).toBe(expected, { p: 'a1', q: 'a2', r: 'c1' });
      expectSubscriptions(source.subscriptions).toBe('^---------!');
    });
  });

  it('emits what mergeMap to a synchronous inner observable emits, at the same frames', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-----c--b---a-----#', undefined, new Error('source failed'));
      const viaMergeMap = source.pipe(mergeMap((value) => of(...lookUp(value))));
      const expected = '   -(pq)--r------(pq)--#';
      expectObservable(source.pipe(mapToMany(lookUp))).toBe(
        expected,
        { p: 'a1', q: 'a2', r: 'c1' },
        new Error('source failed'),
      );
      expectObservable(viaMergeMap).toBe(expected, { p: 'a1', q: 'a2', r: 'c1' }, new Error('source failed'));
    });
  });

  it('errors, and unsubscribes its source, when the projection throws', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a---x-c--|');
      const failing = (value: string): readonly string[] => {
        if (value === 'x') throw new Error('cannot map x');
        return lookUp(value);
      };
      expectObservable(source.pipe(mapToMany(failing))).toBe(
        '-(pq)#',
        { p: 'a1', q: 'a2' },
        new Error('cannot map x'),
      );
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('stops in the middle of a value’s results once the subscriber closes', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--c--|');
      expectObservable(source.pipe(mapToMany(lookUp), take(1))).toBe('-(p|)', { p: 'a1' });
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('unsubscribes its source when its subscriber unsubscribes', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--c--|');
      expectObservable(source.pipe(mapToMany(lookUp)), '^--!').toBe('-(pq)', { p: 'a1', q: 'a2' });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});
