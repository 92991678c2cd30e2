import {
  asapScheduler,
  defer,
  merge,
  type MonoTypeOperatorFunction,
  type Observable,
  observeOn,
  Subject,
  tap,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { drainOnNextTurn } from '../../../../src/channel/mux-loop/drain-on-next-turn';

describe('drainOnNextTurn', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits on the next turn, in order, what arrived before it; completion and errors follow the values', () => {
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot('a-(bc)-d|').pipe(drainOnNextTurn(asapScheduler))).toBe('a-(bc)-d|');
      expectObservable(hot('-(ab#)').pipe(drainOnNextTurn(asapScheduler))).toBe('-(ab#)');
    });
  });

  it('joins a value into the one queued just before it when asked to', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // Runs of the same letter that arrive before a turn become one value: "aa" + "a" -> "aaa".
      const join = (queued: string, next: string) => (queued.startsWith(next) ? queued + next : undefined);
      const values = { a: 'a', b: 'b', x: 'aaa', y: 'bb' };
      expectObservable(hot('(aaab)-(bba)|', values).pipe(drainOnNextTurn(asapScheduler, join))).toBe(
        '(xb)---(ya)-|',
        values,
      );
    });
  });

  it('schedules one action per turn, not one per value', () => {
    scheduler.run(({ hot, expectObservable }) => {
      let scheduled = 0;
      const counting = {
        now: () => asapScheduler.now(),
        schedule: (...args: Parameters<typeof asapScheduler.schedule>) => {
          scheduled += 1;
          return asapScheduler.schedule(...args);
        },
      };
      expectObservable(hot('(abcd)-(ef)|').pipe(drainOnNextTurn(counting))).toBe('(abcd)-(ef)|');
      scheduler.flush();
      // Two turns with values; the completion is emitted in the turn scheduled for it.
      expect(scheduled).toBe(3);
    });
  });

  it('never emits synchronously from inside its consumer: values fed back come after the queue, as with observeOn', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // A loop: what the consumer sees for a is x, fed back; for x, y. Synchronous re-entry would give a x y b.
      const loop = (hop: MonoTypeOperatorFunction<string>): Observable<string> => {
        const source$ = hot('-(ab)---c');
        return defer(() => {
          const fedBack = new Subject<string>();
          return merge(source$, fedBack).pipe(
            hop,
            tap((v) => {
              if (v === 'a') fedBack.next('x');
              if (v === 'x') fedBack.next('y');
            }),
          );
        });
      };
      expectObservable(loop(drainOnNextTurn(asapScheduler))).toBe('-(abxy)-c');
      expectObservable(loop(observeOn(asapScheduler))).toBe('-(abxy)-c');
    });
  });
});
