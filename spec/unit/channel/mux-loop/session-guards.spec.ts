import { TestScheduler } from 'rxjs/testing';
import { selectLoop } from '../../../../src/channel/mux-loop/select-loop';
import { resolveLoopLimits, type LoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { LoopInput } from '../../../../src/channel/mux-loop/loop-messages';
import { initialLoopState, type LoopState } from '../../../../src/channel/mux-loop/loop-state';
import { reduceLoop } from '../../../../src/channel/mux-loop/reduce-loop';
import { clientIdFromBigInt, encodeMuxFrame } from '../../../../src/wire/mux-frame';
import {
  consumed,
  fakeSessions,
  frames,
  ids,
  portClosed,
  portOpened,
  response,
  showAll,
} from './loop-fixtures';

// What a hostile guest (root writing raw frames to the virtio port) must not be able to do to the loop:
// park request bytes in a session forever, make a session hold unbounded memory, or leave sessions the
// daemon forgot behind.

const limits: LoopLimits = resolveLoopLimits({
  creditsPerClient: 2,
  creditsTotal: 4,
  bufferHighWater: 100,
  bufferLowWater: 10,
  maxClients: 3,
  maxBufferedPerClient: 20,
  // Timelines count payload bytes only; the cost of holding a frame has its own spec (session-guards).
  heldFrameCost: 0,
  stalledTicks: 3,
  idleTicks: 5,
});

const tick: LoopInput = { kind: 'tick' };

describe('select loop guards against sessions that never consume', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('closes a session that holds request bytes without progress for stalledTicks, with a zero frame', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('o-a-ttt', { o: portOpened, a: frames(['A', 'GET /']), t: tick });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             o-a---(cd)';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        c: 'close A',
        d: 'client-closed A',
      });
      flush();
      expect(s.subscriptions.A1).toEqual(['opened@2', 'closed@6']);
    });
  });

  it('leaves a session alone while it consumes or answers', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a-tttttt', { o: portOpened, a: frames(['A', 'PUT /']), t: tick });
      // Consumes late, answers now and then: never three ticks in a row without progress while holding bytes.
      const s = fakeSessions(scheduler, cold, {
        A1: { marbles: '--r-c', values: { r: response('100'), c: consumed(5) } },
      });
      const expected = '             o-a-r-----';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        r: 'send A:100',
      });
    });
  });

  it('closes a session that holds more than maxBufferedPerClient at once', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      const inputs = hot<LoopInput>('o-ab-----', {
        o: portOpened,
        a: frames(['A', 'PUT / 0123456789']),
        b: frames(['A', 'more bytes']),
      });
      const s = fakeSessions(scheduler, cold, {});
      const expected = '             o-a(cd)--';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        c: 'close A',
        d: 'client-closed A',
      });
      flush();
      expect(s.log.A1).toEqual(['2: data PUT / 0123456789', '2: grant 2']);
    });
  });

  it('counts what holding a frame costs, so tiny frames pause reading long before their bytes alone would', () => {
    // 5 + 1 + 1 + 1 payload bytes are far below the high water of 100; with 30 per frame held, the fourth
    // frame takes A to 128 and reading pauses; once A consumed all four it resumes.
    const costly = resolveLoopLimits({ ...limits, heldFrameCost: 30, maxBufferedPerClient: 1000 });
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-abcd', {
        o: portOpened,
        a: frames(['A', 'GET /']),
        b: frames(['A', 'x']),
        c: frames(['A', 'y']),
        d: frames(['A', 'z']),
      });
      const s = fakeSessions(scheduler, cold, {
        A1: {
          marbles: '--------(wxyz)',
          values: { w: consumed(5), x: consumed(1), y: consumed(1), z: consumed(1) },
        },
      });
      const expected = '             o-a--(pf)-(rf)';
      expectObservable(showAll(selectLoop(inputs, s.factory, costly))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        p: 'pause',
        f: 'flow',
        r: 'resume',
      });
    });
  });

  it('drops the rest of the request a session closed for holding too much, until the guest closes the id', () => {
    scheduler.run(({ hot, cold, flush }) => {
      // c is the rest of the PUT's body (the daemon keeps the guest's connection open): never a new request.
      const inputs = hot<LoopInput>('o-ab-c-z-d', {
        o: portOpened,
        a: frames(['A', 'PUT / 0123456789']),
        b: frames(['A', 'more bytes']),
        c: frames(['A', 'DELETE /x HTTP/1.1']),
        z: frames(['A', '']),
        d: frames(['A', 'GET /']),
      });
      const s = fakeSessions(scheduler, cold, {});
      selectLoop(inputs, s.factory, limits).subscribe();
      flush();
      expect(Object.keys(s.log)).toEqual(['A1', 'A2']);
      expect(s.log.A2).toEqual(['9: data GET /', '9: grant 2']);
    });
  });

  it('serves the id again once the guest has been quiet on it for discardQuietTicks', () => {
    scheduler.run(({ hot, cold, flush }) => {
      const inputs = hot<LoopInput>('o-ab-c-tt-d-ttt-e', {
        o: portOpened,
        a: frames(['A', 'PUT / 0123456789']),
        b: frames(['A', 'more bytes']),
        c: frames(['A', 'rest of the body']),
        d: frames(['A', 'still the body']),
        t: tick,
        e: frames(['A', 'GET /']),
      });
      const s = fakeSessions(scheduler, cold, {});
      selectLoop(inputs, s.factory, limits).subscribe();
      flush();
      // Two quiet ticks are not enough (d is dropped too); after three, e opens a fresh session.
      expect(Object.keys(s.log)).toEqual(['A1', 'A2']);
      expect(s.log.A2).toEqual(['16: data GET /', '16: grant 2']);
    });
  });

  it('collects a session with no traffic at all for idleTicks', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const inputs = hot<LoopInput>('o-a-tttt-b-ttttt', {
        o: portOpened,
        a: frames(['A', 'GET /']),
        b: frames(['A', 'GET /again']),
        t: tick,
      });
      // Consumes each request as it comes, then keeps the connection open and silent (a keep-alive
      // connection the daemon forgot): traffic at 9 restarts the count, five quiet ticks later it is collected.
      const s = fakeSessions(scheduler, cold, {
        A1: { marbles: 'c------d', values: { c: consumed(5), d: consumed(10) } },
      });
      const expected = '             o-a------------(cd)';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        c: 'close A',
        d: 'client-closed A',
      });
    });
  });
});

describe('the reducer under a flood of raw frames', () => {
  /** Runs inputs through the pure reducer and collects every effect. */
  function run(
    inputs: LoopInput[],
    guardLimits: LoopLimits,
  ): { state: LoopState; kinds: Map<string, number> } {
    let state: LoopState = initialLoopState;
    const kinds = new Map<string, number>();
    for (const input of inputs) {
      state = reduceLoop(state, input, guardLimits);
      for (const effect of state.effects) {
        const name = effect.kind === 'event' ? `event ${effect.event.kind}` : effect.kind;
        kinds.set(name, (kinds.get(name) ?? 0) + 1);
      }
    }
    return { state, kinds };
  }

  /** How many close frames the steps asked for, and in how many effects. */
  function closedIds(
    inputs: readonly LoopInput[],
    guardLimits: LoopLimits,
  ): { ids: number; effects: number } {
    let state: LoopState = initialLoopState;
    let ids = 0;
    let effects = 0;
    for (const input of inputs) {
      state = reduceLoop(state, input, guardLimits);
      for (const effect of state.effects) {
        if (effect.kind !== 'close-frames') continue;
        ids += effect.ids.length;
        effects += 1;
      }
    }
    return { ids, effects };
  }

  it('10,000 new client ids open at most maxClients sessions, refuse the rest with a zero frame each (one write a step), and say so once a tick', () => {
    const flood = Buffer.concat(
      Array.from({ length: 10_000 }, (_, i) =>
        encodeMuxFrame(clientIdFromBigInt(BigInt((i + 1) * 8)), Buffer.from('G')),
      ),
    );
    // In pieces that cut frames anywhere, as the SPICE messages do.
    const pieces: LoopInput[] = [];
    for (let offset = 0; offset < flood.length; offset += 4093)
      pieces.push({ kind: 'vmc-data', pieces: [flood.subarray(offset, offset + 4093)] });
    const { state, kinds } = run([portOpened, ...pieces], { ...limits, maxClients: 256 });
    expect(state.clients.size).toBe(256);
    expect(kinds.get('event client-opened')).toBe(256);
    const closed = closedIds([portOpened, ...pieces], { ...limits, maxClients: 256 });
    expect(closed.ids).toBe(10_000 - 256);
    // The refusals of one step travel together (one write each, not one per refusal); only the first one's
    // event splits its step.
    expect(closed.effects).toBeLessThanOrEqual(pieces.length + 1);
    // One event for the user, not one per refusal (a log line each was 1.6 million lines in a flood); the
    // next tick says how many more.
    expect(kinds.get('event client-refused')).toBe(1);
    const ticked = reduceLoop(state, { kind: 'tick' }, { ...limits, maxClients: 256 });
    expect(ticked.effects).toContainEqual({
      kind: 'event',
      event: expect.objectContaining({
        kind: 'client-refused',
        reason: `${10_000 - 257} more connections refused since: more than 256 open connections`,
      }),
    });
    const quiet = reduceLoop(ticked, { kind: 'tick' }, { ...limits, maxClients: 256 });
    expect(quiet.effects.filter((effect) => effect.kind === 'event')).toEqual([]);
  });

  it('a frame that declares more than it sends holds at most one frame, and the port closing forgets it', () => {
    const header = encodeMuxFrame(clientIdFromBigInt(0x38n), Buffer.alloc(65535)).subarray(0, 10);
    const { state } = run(
      [portOpened, { kind: 'vmc-data', pieces: [header, Buffer.from('only this')] }, portClosed, portOpened],
      limits,
    );
    expect(state.clients.size).toBe(0);
    const after = reduceLoop(state, frames(['A', 'GET /']), limits);
    expect(after.clients.size).toBe(1);
  });

  it('closes every stalled session of a flood on ticks, so the buffer never stays full', () => {
    const flood: LoopInput[] = [
      portOpened,
      frames(['A', 'x'.repeat(15)], ['B', 'y'.repeat(15)], ['Z', 'z'.repeat(15)]),
    ];
    const { state } = run([...flood, tick, tick, tick], limits);
    expect(state.clients.size).toBe(0);
    expect(state.readingPaused).toBe(false);
  });
});

describe('an id whose session ended in the middle of a request', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('takes nothing more as requests until the guest closes it; a session that ended between requests does', () => {
    scheduler.run(({ hot, cold, expectObservable, flush }) => {
      // A's session ends mid-request (an upload cut by a share change): b is the rest of its body. B's ends
      // after a whole exchange: its next request on the same id (the daemon keeps the connection) is served.
      const inputs = hot<LoopInput>('o-a-----------b-c-z-d', {
        o: portOpened,
        a: frames(['A', 'PUT / 12'], ['B', 'GET /']),
        b: frames(['A', 'DELETE /x HTTP/1.1'], ['B', 'GET /next']),
        c: frames(['A', 'more of the body']),
        z: frames(['A', '']),
        d: frames(['A', 'GET /']),
      });
      const s = fakeSessions(scheduler, cold, {
        A1: { marbles: '-----(m|)', values: { m: { kind: 'ended-mid-request' } } },
        B1: { marbles: '-----|' },
      });
      const expected = '             o-(ab)-(cdef)-h-----g';
      expectObservable(showAll(selectLoop(inputs, s.factory, limits))).toBe(expected, {
        o: 'port-opened',
        a: 'client-opened A',
        b: 'client-opened B',
        c: 'close A',
        d: 'client-closed A',
        e: 'close B',
        f: 'client-closed B',
        h: 'client-opened B',
        g: 'client-opened A',
      });
      flush();
      expect(Object.keys(s.log).sort()).toEqual(['A1', 'A2', 'B1', 'B2']);
      expect(s.log.B2?.[0]).toBe('14: data GET /next');
      expect(s.log.A2?.[0]).toBe('20: data GET /');
    });
  });
});

describe('the quiet clock of a muted id', () => {
  const paused: LoopLimits = resolveLoopLimits({
    bufferHighWater: 100,
    bufferLowWater: 10,
    maxBufferedPerClient: 1000,
    heldFrameCost: 0,
  });

  it('stops while we do not read the port: the guest could not have sent anything (a reviewer finding)', () => {
    let state = initialLoopState as LoopState;
    const step = (input: LoopInput): LoopState => (state = reduceLoop(state, input, paused));
    step(portOpened);
    step(frames(['A', 'PUT / 12345'], ['B', 'y'.repeat(150)]));
    expect(state.readingPaused).toBe(true); // B holds more than the high water
    const a = state.clients.get(ids.A)?.key;
    const b = state.clients.get(ids.B)?.key;
    if (a === undefined || b === undefined) throw new Error('A and B are open');
    step({ kind: 'session-output', key: a, output: { kind: 'ended-mid-request' } });
    for (let i = 0; i < 5; i++) step(tick);
    step({ kind: 'session-output', key: b, output: { kind: 'request-consumed', bytes: 150 } });
    expect(state.readingPaused).toBe(false);
    // Reading again: the rest of A's body is still dropped; three quiet ticks from now it would not be.
    step(frames(['A', 'DELETE /x HTTP/1.1\r\n\r\n']));
    expect(state.effects.filter((effect) => effect.kind === 'open-session')).toEqual([]);
    for (let i = 0; i < 3; i++) step(tick);
    step(frames(['A', 'GET / HTTP/1.1\r\n\r\n']));
    expect(state.effects.filter((effect) => effect.kind === 'open-session')).toHaveLength(1);
  });
});
