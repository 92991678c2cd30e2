import { filter, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { selectLoop } from '../../../../src/channel/mux-loop/select-loop';
import { resolveLoopLimits, type LoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { LoopInput } from '../../../../src/channel/mux-loop/loop-messages';
import {
  afterStaleTail,
  consumed,
  fakeSessions,
  flushed,
  frames,
  portClosed,
  portOpened,
  response,
  returned,
  showAll,
} from './loop-fixtures';

const limits: LoopLimits = resolveLoopLimits({
  creditsPerClient: 2,
  creditsTotal: 3,
  bufferHighWater: 10,
  bufferLowWater: 4,
  maxClients: 2,
  // Timelines count payload bytes only; the cost of holding a frame has its own spec (session-guards).
  heldFrameCost: 0,
});

describe('selectLoop', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('opens a session for the first frame of a new client, grants it credit and muxes its answer', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('o-a', { o: portOpened, a: frames(['A', 'GET /']) });
      const s = fakeSessions(scheduler, cold, { A1: { marbles: '-r', values: { r: response('200 OK') } } });
      const expected = '             o-ar';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        r: 'send A:200 OK',
      });
      flush();
      expect(s.log.A1).toEqual(['2: data GET /', '2: grant 2']);
    });
  });

  it('joins a stream in the middle of a frame: drops the rest of it, says so, and serves the next whole one', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      // What a client sees when it connects while spice-webdavd is half-way through writing a frame.
      const tail = 'rest of an upload frame written before we connected';
      const inputs = hot<LoopInput>('o-a-----b', {
        o: portOpened,
        a: afterStaleTail(tail, ['A', 'GET /']),
        b: frames(['B', 'GET']),
      });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             o-(sa)--b';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        s: `stream-resynced ${tail.length}`,
        a: 'client-opened A',
        b: 'client-opened B',
      });
      flush();
      expect(s.log.A1).toEqual(['2: data GET /', '2: grant 2']);
    });
  });

  it('ignores guest data before the port is open', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('a-o', { a: frames(['A', 'GET /']), o: portOpened });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             --o';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, { o: 'port-opened' });
      flush();
      expect(s.log).toEqual({});
    });
  });

  it('ends a session when the guest sends a zero frame, and tells the guest nothing', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('o-a--c', {
        o: portOpened,
        a: frames(['A', 'GET /']),
        c: frames(['A', '']),
      });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             o-a--c';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        c: 'client-closed A',
      });
      flush();
      expect(s.subscriptions.A1).toEqual(['opened@2', 'closed@5']);
    });
  });

  it('sends a zero frame when the HTTP side closes the connection', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a-----', { o: portOpened, a: frames(['A', 'GET /1']) });
      const s = fakeSessions(scheduler, cold, { A1: { marbles: '-r|', values: { r: response('one') } } });
      const expected = '             o-ar(cd)';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        r: 'send A:one',
        c: 'close A',
        d: 'client-closed A',
      });
    });
  });

  it('starts a fresh session when the guest reuses the id of a connection we closed', () => {
    scheduler.run(({ hot, cold, flush }) => {
      const inputs = hot<LoopInput>('o-a-----b', {
        o: portOpened,
        a: frames(['A', 'GET /1']),
        b: frames(['A', 'GET /2']),
      });
      const s = fakeSessions(scheduler, cold, { A1: { marbles: '-r|', values: { r: response('one') } } });
      selectLoop(inputs, s.factory, limits).subscribe();
      flush();
      expect(s.subscriptions.A2).toEqual(['opened@8']);
      expect(s.log.A2).toEqual(['8: data GET /2', '8: grant 2']);
    });
  });

  it('drops every session at once when the guest port closes, and sends nothing for them', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('o-a---c', {
        o: portOpened,
        a: frames(['A', 'x'], ['B', 'y']),
        c: portClosed,
      });
      const s = fakeSessions(scheduler, cold, {
        A1: { marbles: '------r', values: { r: response('late') } },
      });
      const expected = '             o-(ab)(cde)';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        b: 'client-opened B',
        c: 'client-closed A',
        d: 'client-closed B',
        e: 'port-closed',
      });
      flush();
      expect(s.subscriptions).toEqual({ A1: ['opened@2', 'closed@6'], B1: ['opened@2', 'closed@6'] });
    });
  });

  it('closes only the failing client when a session errors; the others go on', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a', { o: portOpened, a: frames(['A', 'x'], ['B', 'y']) });
      const s = fakeSessions(scheduler, cold, {
        A1: { marbles: '----#', error: new Error('engine exploded') },
        B1: { marbles: '--------r', values: { r: response('fine') } },
      });
      const expected = '             o-(ab)(cd)r';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        b: 'client-opened B',
        c: 'close A',
        d: 'client-closed A',
        r: 'send B:fine',
      });
    });
  });

  it('a share change leaves the clients of the previous share to it (its engine ends them), and new ids get the new share', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('o-1-a-2-s-b', {
        o: portOpened,
        1: { kind: 'sharing-started', share: { path: '/one', readOnly: false }, server: 'one' },
        a: frames(['A', 'x']),
        2: { kind: 'sharing-started', share: { path: '/two', readOnly: false }, server: 'two' },
        s: { kind: 'sharing-stopped' },
        b: frames(['B', 'y']),
      });
      const s = fakeSessions(scheduler, cold, {});
      const loop = selectLoop(inputs, s.factory, limits);
      const expected = '             o-1-a-2-s-b';
      expectObservable(showAll(loop)).toBe(expected, {
        o: 'port-opened',
        1: 'sharing-started',
        a: 'client-opened A',
        2: 'sharing-started',
        s: 'sharing-stopped',
        b: 'client-opened B',
      });
      flush();
      expect(s.subscriptions).toEqual({ A1: ['opened@4'], B1: ['opened@10'] });
    });
  });

  it("a stop leaves the share's clients to its engine: droppedClients is 0", () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-1-a-s', {
        o: portOpened,
        1: { kind: 'sharing-started', share: { path: '/one', readOnly: false }, server: 'one' },
        a: frames(['A', 'x'], ['B', 'y']),
        s: { kind: 'sharing-stopped' },
      });
      const stops = selectLoop(inputs, fakeSessions(scheduler, cold, {}).factory, limits).pipe(
        filter((effect) => effect.kind === 'event' && effect.event.kind === 'sharing-stopped'),
        map((effect) => (effect.kind === 'event' ? effect.event : undefined)),
      );
      expectObservable(stops).toBe('------s', {
        s: { kind: 'sharing-stopped', droppedClients: 0 },
      });
    });
  });

  it('starting a share leaves the clients of the 503 stand-in to end by themselves (it answers Connection: close)', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a-1', {
        o: portOpened,
        a: frames(['A', 'x']),
        1: { kind: 'sharing-started', share: { path: '/one', readOnly: false }, server: 'one' },
      });
      // A1 (the stand-in's) answers and ends after the share started: only then is A closed.
      const s = fakeSessions(scheduler, cold, { A1: { marbles: '---|' } });
      const expected = '             o-a-1(cd)';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        c: 'close A',
        d: 'client-closed A',
        1: 'sharing-started',
      });
    });
  });

  it('a stop drops no client: the stand-in is only for connections opened after it', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a-s-----', {
        o: portOpened,
        a: frames(['A', 'x']),
        s: { kind: 'sharing-stopped' },
      });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             o-a-s-----';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        s: 'sharing-stopped',
      });
    });
  });

  it('serves what the guest sends after a stop, once its session ended, from a fresh session', () => {
    scheduler.run(({ hot, cold, flush }) => {
      const inputs = hot<LoopInput>('o-a-s-----b', {
        o: portOpened,
        a: frames(['A', 'x']),
        s: { kind: 'sharing-stopped' },
        b: frames(['A', 'y']),
      });
      // A1 is ended by its (retired) engine after the stop, between requests.
      const s = fakeSessions(scheduler, cold, { A1: { marbles: '-----|' } });
      selectLoop(inputs, s.factory, limits).subscribe();
      flush();
      expect(s.subscriptions).toEqual({ A1: ['opened@2', 'closed@7'], A2: ['opened@10'] });
    });
  });

  it('refuses clients beyond the cap with a zero frame instead of leaving them hanging', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a', { o: portOpened, a: frames(['A', 'x'], ['B', 'y'], ['Z', 'z']) });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             o-(abcd)';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        b: 'client-opened B',
        c: 'close Z',
        d: 'client-refused Z',
      });
    });
  });

  describe('flow control', () => {
    it('grants a session new credit only as its frames leave the socket', () => {
      scheduler.run(({ hot, cold, expectObservable, flush }) => {
        const inputs = hot<LoopInput>('o-a------f-f', {
          o: portOpened,
          a: frames(['A', 'GET /big']),
          f: flushed('A'),
        });
        const s = fakeSessions(scheduler, cold, {
          A1: { marbles: '-rr', values: { r: response('chunk') } },
        });
        const expected = '             o-arr';
        expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
          o: 'port-opened',
          a: 'client-opened A',
          r: 'send A:chunk',
        });
        flush();
        expect(s.log.A1).toEqual(['2: data GET /big', '2: grant 2', '9: grant 1', '11: grant 1']);
      });
    });

    it('refuses a response frame sent without credit: the session is closed as faulty, the frame never sent', () => {
      scheduler.run(({ hot, cold, expectObservable }) => {
        // Two credits per client and no flush: the third frame has no credit behind it. The session's
        // timeline starts when it opens (frame 2).
        const inputs = hot<LoopInput>('o-a------', { o: portOpened, a: frames(['A', 'GET /big']) });
        const s = fakeSessions(scheduler, cold, {
          A1: { marbles: '               -rrr', values: { r: response('chunk') } },
        });
        const expected = '             o-arr(cd)';
        expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
          o: 'port-opened',
          a: 'client-opened A',
          r: 'send A:chunk',
          c: 'close A',
          d: 'client-closed A',
        });
      });
    });

    it('shares the global credit fairly: a waiting client is served before the busy one is topped up', () => {
      scheduler.run(({ hot, cold, flush }) => {
        // creditsTotal 3, per client 2: A takes 2, B gets the last one and waits for a second.
        const inputs = hot<LoopInput>('o-a-b--f', {
          o: portOpened,
          a: frames(['A', 'GET /a']),
          b: frames(['B', 'GET /b']),
          f: flushed('A'),
        });
        const s = fakeSessions(scheduler, cold, { A1: { marbles: '-r', values: { r: response('a') } } });
        selectLoop(inputs, s.factory, limits).subscribe();
        flush();
        expect(s.log.A1).toEqual(['2: data GET /a', '2: grant 2']);
        expect(s.log.B1).toEqual(['4: data GET /b', '4: grant 1', '7: grant 1']);
      });
    });

    it('takes back credit an idle session holds when another has none, and gives it again when asked', () => {
      scheduler.run(({ hot, cold, flush }) => {
        // creditsTotal 2, per client 2. A answers, its frame leaves, and it is topped up again: it holds both
        // credits with nothing to send (a keep-alive connection between requests). B then has none: A is asked
        // to give them back, B gets them; A asks again once it has something to send, and waits its turn.
        const tight = resolveLoopLimits({ creditsPerClient: 2, creditsTotal: 2, maxClients: 3 });
        const inputs = hot<LoopInput>('o-a---f-b----g', {
          o: portOpened,
          a: frames(['A', 'GET /a']),
          f: flushed('A'),
          b: frames(['B', 'GET /b']),
          g: flushed('B', 2),
        });
        const s = fakeSessions(scheduler, cold, {
          A1: {
            marbles: '-r-----c--w',
            values: { r: response('a'), c: returned(2), w: { kind: 'response-waiting' } },
          },
          B1: { marbles: '--r', values: { r: response('b') } },
        });
        selectLoop(inputs, s.factory, tight).subscribe();
        flush();
        expect(s.log.A1).toEqual(['2: data GET /a', '2: grant 2', '6: grant 1', '8: revoke', '13: grant 1']);
        expect(s.log.B1).toEqual(['8: data GET /b', '9: grant 2']);
      });
    });

    it('pauses the SPICE socket only when a stalled session has buffered past the cap, and resumes', () => {
      scheduler.run(({ hot, cold, expectObservable }) => {
        // A never consumes what it is given; B consumes at once. High water 10 bytes, low water 4.
        const inputs = hot<LoopInput>('o-a-b-c---d', {
          o: portOpened,
          a: frames(['A', '1234']),
          b: frames(['B', '123456']),
          c: frames(['A', '1234567']),
          d: frames(['A', '']),
        });
        const s = fakeSessions(scheduler, cold, {
          B1: { marbles: 'c', values: { c: consumed(6) } },
        });
        const expected = '             o-a-b-(pf)(crf)';
        expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
          o: 'port-opened',
          a: 'client-opened A',
          b: 'client-opened B',
          p: 'pause',
          f: 'flow',
          c: 'client-closed A',
          r: 'resume',
        });
      });
    });
  });
});
