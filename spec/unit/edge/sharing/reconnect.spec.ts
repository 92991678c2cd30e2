import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { SpiceConnectionError, type SpiceFailureReason } from '../../../../src/edge/spice/errors';
import {
  decideReconnect,
  withReconnect,
  type ReconnectingEvent,
  type ReconnectOptions,
} from '../../../../src/edge/sharing/reconnect';

const failure = (reason: SpiceFailureReason) => new SpiceConnectionError(reason, `failed: ${reason}`);
const afterLoss: ReconnectOptions = { mode: 'after-loss', initialDelayMs: 2, maxDelayMs: 5 };

describe('decideReconnect', () => {
  it('never retries when off', () => {
    expect(decideReconnect(failure('server-gone'), 1, { mode: 'off' })).toEqual({ kind: 'give-up' });
  });

  it.each<SpiceFailureReason>(['server-gone', 'refused', 'unreachable'])(
    'retries after %s with a doubling delay, capped',
    (reason) => {
      const delays = [1, 2, 3, 4, 5].map((attempt) => decideReconnect(failure(reason), attempt, afterLoss));
      expect(delays).toEqual([2, 4, 5, 5, 5].map((delayMs) => ({ kind: 'retry', delayMs })));
    },
  );

  it('never fights another client: after being kicked it stops in after-loss mode', () => {
    expect(decideReconnect(failure('kicked'), 1, afterLoss)).toEqual({ kind: 'give-up' });
  });

  it('retries after being kicked in always mode', () => {
    expect(decideReconnect(failure('kicked'), 1, { ...afterLoss, mode: 'always' })).toEqual({
      kind: 'retry',
      delayMs: 2,
    });
  });

  it.each<SpiceFailureReason>(['auth', 'tls', 'no-webdav-port', 'protocol'])(
    'gives up at once after %s, which another try cannot fix',
    (reason) => {
      expect(decideReconnect(failure(reason), 1, { ...afterLoss, mode: 'always' })).toEqual({
        kind: 'give-up',
      });
    },
  );

  it('gives up on errors that are not SPICE connection failures', () => {
    expect(decideReconnect(new Error('bug'), 1, afterLoss)).toEqual({ kind: 'give-up' });
  });

  it('gives up after maxAttempts', () => {
    expect(decideReconnect(failure('server-gone'), 3, { ...afterLoss, maxAttempts: 2 })).toEqual({
      kind: 'give-up',
    });
  });
});

describe('withReconnect', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  type Value = string | ReconnectingEvent;
  const show = (v: Value): string => (typeof v === 'string' ? v : `retry${v.attempt}:${v.delayMs}`);

  function attempts(timelines: Array<Observable<string>>): {
    connect: (n: number) => Observable<string>;
    tried: number[];
  } {
    const tried: number[] = [];
    return {
      tried,
      connect: (n) => {
        tried.push(n);
        const timeline = timelines[n];
        if (timeline === undefined) throw new Error(`no timeline for attempt ${n}`);
        return timeline;
      },
    };
  }

  it('reconnects after the server went away, with backoff, and resets once established', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const gone = failure('server-gone');
      // Each attempt's timeline starts where it is subscribed.
      const first = cold<string>('    u-#', { u: 'up' }, gone); //   established, then lost: retry after 2
      const second = cold<string>('       #', {}, gone); //          refused while restarting: retry after 4
      const third = cold<string>('            u--', { u: 'up' }); // back
      const expected = '              u-a-b---u--';
      const { connect } = attempts([first, second, third]);
      const shown$ = withReconnect(connect, afterLoss, (v) => v === 'up').pipe(map(show));
      expectObservable(shown$).toBe(expected, { u: 'up', a: 'retry1:2', b: 'retry2:4' });
    });
  });

  it('stops after being kicked in after-loss mode: the error goes through unchanged', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const kicked = failure('kicked');
      const first = cold<string>('u-#', { u: 'up' }, kicked);
      const expected = '          u-#';
      const { connect, tried } = attempts([first]);
      expectObservable(withReconnect(connect, afterLoss, (v) => v === 'up')).toBe(
        expected,
        { u: 'up' },
        kicked,
      );
      scheduler.flush();
      expect(tried).toEqual([0]);
    });
  });

  it('subscribes once and passes everything through when off', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const gone = failure('server-gone');
      const first = cold<string>('u-#', { u: 'up' }, gone);
      const expected = '          u-#';
      const { connect } = attempts([first]);
      expectObservable(withReconnect(connect, { mode: 'off' }, () => true)).toBe(expected, { u: 'up' }, gone);
    });
  });

  it('tears the pending attempt and timer down on unsubscribe', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const gone = failure('server-gone');
      const first = cold<string>('    #', {}, gone);
      const second = cold<string>('     u----', { u: 'up' });
      const unsub = '                 ^----!';
      const expected = '              r-u--';
      const secondSubscribed = '      --^--!';
      const { connect } = attempts([first, second]);
      expectObservable(
        withReconnect(connect, afterLoss, (v) => v === 'up'),
        unsub,
      ).toBe(expected, {
        r: { kind: 'reconnecting', attempt: 1, delayMs: 2, reason: 'server-gone', message: gone.message },
        u: 'up',
      });
      expectSubscriptions(second.subscriptions).toBe(secondSubscribed);
    });
  });
});
