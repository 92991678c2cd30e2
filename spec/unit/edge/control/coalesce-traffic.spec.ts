import { TestScheduler } from 'rxjs/testing';
import { coalesceTraffic } from '../../../../src/edge/control/coalesce-traffic';
import type { SharingEvent } from '../../../../src/edge/sharing/sharing-types';

const traffic = (
  id: string,
  direction: 'in' | 'out',
  bytes: number,
  announcedBytes?: number,
): SharingEvent => ({
  kind: 'traffic',
  id,
  direction,
  bytes,
  ...(announcedBytes === undefined ? {} : { announcedBytes }),
});
const request: SharingEvent = {
  kind: 'request',
  method: 'PUT',
  path: '/big.bin',
  status: 201,
  bytesIn: 300,
  bytesOut: 0,
  ms: 7,
};
const opened: SharingEvent = { kind: 'client-opened', id: '1' };

describe('coalesceTraffic', () => {
  const scheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it("adds up a message's traffic into one event, let out when the next message starts", () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot('a-b-c-d', {
        a: traffic('1', 'in', 100, 300),
        b: traffic('1', 'in', 100),
        c: traffic('1', 'in', 100),
        d: traffic('1', 'in', 50, 50),
      });
      expectObservable(events$.pipe(coalesceTraffic(10)), '^ 8ms !').toBe('------x', {
        x: traffic('1', 'in', 300, 300),
      });
    });
  });

  it('lets held traffic out after the delay, counted from its first event, and holds the next anew', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot('a 4ms b 6ms c 4ms d 9ms |', {
        a: traffic('1', 'in', 10, 40),
        b: traffic('1', 'in', 10),
        c: traffic('1', 'in', 10),
        d: traffic('1', 'in', 10),
      });
      // a and b at a's deadline (10 ms); c, after it, is held anew, with d, until c's deadline (22 ms).
      expectObservable(events$.pipe(coalesceTraffic(10))).toBe('10ms x 11ms y 4ms |', {
        x: traffic('1', 'in', 20, 40),
        y: traffic('1', 'in', 20),
      });
    });
  });

  it('never reorders: other events, another connection or the other direction let held traffic out first', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot('ab(cd)(ef)-g', {
        a: traffic('1', 'in', 100, 300),
        b: traffic('1', 'in', 200),
        c: request,
        d: traffic('1', 'out', 10, 10),
        e: traffic('2', 'out', 7),
        f: opened,
        g: traffic('2', 'out', 5),
      });
      expectObservable(events$.pipe(coalesceTraffic(100)), '^ 20ms !').toBe('--(cd)(efg)', {
        c: traffic('1', 'in', 300, 300),
        d: request,
        e: traffic('1', 'out', 10, 10),
        f: traffic('2', 'out', 7),
        g: opened,
      });
      // g, from 11 ms on, is still held when the subscription ends at 20 ms (its deadline: 111 ms).
    });
  });

  it('lets held traffic out before the source completes or fails', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const failure = new Error('kicked');
      expectObservable(
        hot('ab|', { a: traffic('1', 'out', 1, 2), b: traffic('1', 'out', 1) }).pipe(coalesceTraffic(100)),
      ).toBe('--(x|)', { x: traffic('1', 'out', 2, 2) });
      expectObservable(hot('a#', { a: traffic('1', 'out', 1, 2) }, failure).pipe(coalesceTraffic(100))).toBe(
        '-(x#)',
        { x: traffic('1', 'out', 1, 2) },
        failure,
      );
    });
  });

  it('passes everything else through at once', () => {
    scheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('a-b', { a: opened, b: request }).pipe(coalesceTraffic(100))).toBe('a-b', {
        a: opened,
        b: request,
      });
    });
  });
});
