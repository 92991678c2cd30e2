import { TestScheduler } from 'rxjs/testing';
import type { LoopInput, SessionKey } from '../../../../src/channel/mux-loop/loop-messages';
import { flushedFrames, type SentFrames } from '../../../../src/edge/sharing/flushed-frames';

const a: SessionKey = { id: '000000000000000a', generation: 1 };
const b: SessionKey = { id: '000000000000000b', generation: 1 };

/** `frames` written in one batch, of which the first `belowHighWater` left the socket below its high water. */
const sent = (key: SessionKey, frames: number, belowHighWater: number): SentFrames => ({
  key,
  frames,
  belowHighWater,
});
const flushed = (key: SessionKey, frames: number): LoopInput<never> => ({
  kind: 'frame-flushed',
  key,
  frames,
});

describe('flushedFrames', () => {
  const scheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('gives the credits of the frames one step wrote back in one input per session, not one per frame', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const drained$ = hot<void>('-');
      const sent$ = cold('(xyz)', { x: sent(a, 1, 1), y: sent(a, 1, 1), z: sent(a, 1, 1) });
      expectObservable(sent$.pipe(flushedFrames(drained$, testScheduler))).toBe('f', { f: flushed(a, 3) });
    });
  });

  it('holds frames written over the high-water mark until the socket drains, then gives them back per session', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const sent$ = cold('x-(yzw)', {
        x: sent(a, 1, 1),
        y: sent(a, 1, 0),
        z: sent(b, 1, 1),
        w: sent(a, 1, 1),
      });
      const drained$ = hot<void>('----d');
      expectObservable(sent$.pipe(flushedFrames(drained$, testScheduler))).toBe('f---(gh)', {
        f: flushed(a, 1),
        g: flushed(a, 2),
        h: flushed(b, 1),
      });
    });
  });

  it('counts every frame of a batch: batches of one step add up per session, a held batch comes back whole', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const sent$ = cold('(xy)-(zw)', {
        x: sent(a, 4, 4),
        y: sent(a, 2, 2),
        z: sent(b, 3, 3),
        w: sent(a, 4, 0),
      });
      const drained$ = hot<void>('--------d');
      expectObservable(sent$.pipe(flushedFrames(drained$, testScheduler))).toBe('f----g--h', {
        f: flushed(a, 6),
        g: flushed(b, 3),
        h: flushed(a, 4),
      });
    });
  });

  it('holds a batch that crossed the high-water mark whole until the drain, even its frames below the mark', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const sent$ = cold('x-y', { x: sent(a, 4, 3), y: sent(b, 2, 2) });
      const drained$ = hot<void>('----d');
      expectObservable(sent$.pipe(flushedFrames(drained$, testScheduler))).toBe('----(gh)', {
        g: flushed(a, 4),
        h: flushed(b, 2),
      });
    });
  });

  it('gives a batch back at once when the socket took all of it below its high water', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const sent$ = cold('x-y', { x: sent(a, 4, 4), y: sent(b, 2, 1) });
      const drained$ = hot<void>('----d');
      expectObservable(sent$.pipe(flushedFrames(drained$, testScheduler))).toBe('f---g', {
        f: flushed(a, 4),
        g: flushed(b, 2),
      });
    });
  });
});
