// Property spec: the select loop's reducer fed arbitrary sequences of inputs (raw guest bytes, well-formed
// frames for a few ids, session output for live and stale sessions, flushes, ticks, port and share changes)
// never throws, and its state stays within the limits whatever the guest does.

import fc from 'fast-check';
import { resolveLoopLimits, type LoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { LoopInput, SessionKey } from '../../../../src/channel/mux-loop/loop-messages';
import { initialLoopState, type LoopState } from '../../../../src/channel/mux-loop/loop-state';
import { reduceLoop } from '../../../../src/channel/mux-loop/reduce-loop';
import { MUX_HEADER_SIZE, MUX_MAX_PAYLOAD } from '../../../../src/wire/constants';
import { clientIdFromBigInt, encodeMuxFrame, muxBytesHeld } from '../../../../src/wire/mux-frame';

const limits: LoopLimits = resolveLoopLimits({
  // 1 ahead, 3 while streaming: both kinds of top-up occur.
  creditsPerClient: 3,
  creditsAhead: 1,
  creditsTotal: 5,
  bufferHighWater: 2000,
  bufferLowWater: 500,
  maxClients: 4,
  maxBufferedPerClient: 3000,
  stalledTicks: 3,
  idleTicks: 6,
});

// Shaped like spice-webdavd's ids (aligned addresses), so the demuxer trusts them after a port opens.
const idArb = fc.constantFrom(0x10n, -0x20n, 0x30n, 0x40n).map(clientIdFromBigInt);
const keyArb: fc.Arbitrary<SessionKey> = fc.record({
  id: idArb,
  // Mostly live generations (they count up from 1), so session output often reaches a live session.
  generation: fc.integer({ min: 0, max: 3 }),
});

const inputArb: fc.Arbitrary<LoopInput> = fc.oneof(
  fc.constant<LoopInput>({ kind: 'port-opened' }),
  fc.constant<LoopInput>({ kind: 'port-closed' }),
  fc.constant<LoopInput>({ kind: 'tick' }),
  fc.constant<LoopInput>({ kind: 'sharing-stopped' }),
  fc.constant<LoopInput>({
    kind: 'sharing-started',
    share: { path: '/s', readOnly: false },
    server: 'engine',
  }),
  fc
    .uint8Array({ maxLength: 300 })
    .map((bytes): LoopInput => ({ kind: 'vmc-data', pieces: [Buffer.from(bytes)] })),
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(idArb, fc.uint8Array({ maxLength: 1500 })), { maxLength: 4 })
      .map((list): LoopInput => ({
        kind: 'vmc-data',
        pieces: [Buffer.concat(list.map(([id, payload]) => encodeMuxFrame(id, Buffer.from(payload))))],
      })),
  },
  keyArb.map((key): LoopInput => ({ kind: 'frame-flushed', key, frames: 1 })),
  fc.tuple(keyArb, fc.integer({ min: 0, max: 5000 })).map(([key, bytes]): LoopInput => ({
    kind: 'session-output',
    key,
    output: { kind: 'request-consumed', bytes },
  })),
  // Sessions answering, with or without credit: the reducer must refuse what has none.
  {
    weight: 4,
    arbitrary: fc.tuple(keyArb, fc.uint8Array({ maxLength: 100 })).map(([key, data]): LoopInput => ({
      kind: 'session-output',
      key,
      output: { kind: 'response-data', frames: [Buffer.from(data)] },
    })),
  },
  // Credits given back (more than were granted, too) and asked for again, at any time.
  fc.tuple(keyArb, fc.integer({ min: 0, max: 6 })).map(([key, chunks]): LoopInput => ({
    kind: 'session-output',
    key,
    output: { kind: 'credits-returned', chunks },
  })),
  keyArb.map((key): LoopInput => ({ kind: 'session-output', key, output: { kind: 'response-waiting' } })),
  keyArb.map((key): LoopInput => ({ kind: 'session-output', key, output: { kind: 'ended-mid-request' } })),
  fc
    .tuple(keyArb, fc.option(fc.string(), { nil: undefined }))
    .map(([key, error]): LoopInput =>
      error === undefined ? { kind: 'session-ended', key } : { kind: 'session-ended', key, error },
    ),
);

/**
 * Guest and sessions only, no raw garbage (which can swallow every later frame into one huge one); sessions
 * answer in bursts, as a session does when it ignores its credit.
 */
const sessionTrafficArb: fc.Arbitrary<LoopInput[]> = fc.oneof(
  fc
    .array(fc.tuple(idArb, fc.uint8Array({ minLength: 1, maxLength: 40 })), { minLength: 1, maxLength: 3 })
    .map((list): LoopInput[] => [
      {
        kind: 'vmc-data',
        pieces: [Buffer.concat(list.map(([id, payload]) => encodeMuxFrame(id, Buffer.from(payload))))],
      },
    ]),
  keyArb.map((key): LoopInput[] => [{ kind: 'frame-flushed', key, frames: 1 }]),
  fc.tuple(keyArb, fc.integer({ min: 1, max: 4 })).map(([key, count]): LoopInput[] =>
    Array.from({ length: count }, () => ({
      kind: 'session-output',
      key,
      output: { kind: 'response-data', frames: [Buffer.from('answer')] },
    })),
  ),
  keyArb.map((key): LoopInput[] => [{ kind: 'session-ended', key }]),
  keyArb.map((key): LoopInput[] => [{ kind: 'session-output', key, output: { kind: 'ended-mid-request' } }]),
  fc
    .tuple(keyArb, fc.integer({ min: 0, max: 3 }))
    .map(([key, chunks]): LoopInput[] => [
      { kind: 'session-output', key, output: { kind: 'credits-returned', chunks } },
    ]),
  keyArb.map((key): LoopInput[] => [{ kind: 'session-output', key, output: { kind: 'response-waiting' } }]),
);

function checkBounds(state: LoopState): void {
  expect(state.clients.size).toBeLessThanOrEqual(limits.maxClients);
  // Muted ids are bounded, and never also live sessions.
  expect(state.discarding.size).toBeLessThanOrEqual(limits.maxDiscarding);
  for (const id of state.discarding.keys()) expect(state.clients.has(id)).toBe(false);
  // The credit invariant: credits granted + frames in flight stay within the limits, per client and in all.
  let inUse = 0;
  for (const client of state.clients.values()) {
    expect(client.buffered).toBeLessThanOrEqual(limits.maxBufferedPerClient);
    expect(client.granted).toBeGreaterThanOrEqual(0);
    expect(client.inFlight).toBeGreaterThanOrEqual(0);
    expect(client.granted + client.inFlight).toBeLessThanOrEqual(limits.creditsPerClient);
    inUse += client.granted + client.inFlight;
  }
  expect(inUse).toBeLessThanOrEqual(limits.creditsTotal);
  // The demuxer never holds more than one frame and the next header.
  expect(muxBytesHeld(state.demux)).toBeLessThanOrEqual(2 * MUX_HEADER_SIZE + MUX_MAX_PAYLOAD);
  // Waiting clients are live ones, each once.
  expect(new Set(state.waiting).size).toBe(state.waiting.length);
  for (const id of state.waiting) expect(state.clients.has(id)).toBe(true);
}

describe('reduceLoop under arbitrary input sequences', () => {
  it('never throws and keeps its state within the limits', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 80 }), (inputs) => {
        let state: LoopState = reduceLoop<unknown>(initialLoopState, { kind: 'port-opened' }, limits);
        for (const input of inputs) {
          state = reduceLoop(state, input, limits);
          checkBounds(state);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps credits granted + frames in flight within the limits, whatever the sessions answer', () => {
    fc.assert(
      fc.property(fc.array(sessionTrafficArb, { maxLength: 40 }), (bursts) => {
        let state: LoopState = reduceLoop<unknown>(initialLoopState, { kind: 'port-opened' }, limits);
        for (const input of bursts.flat()) {
          state = reduceLoop(state, input, limits);
          checkBounds(state);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every session it opens is closed again when the port closes', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 60 }), (inputs) => {
        let state: LoopState = reduceLoop<unknown>(initialLoopState, { kind: 'port-opened' }, limits);
        for (const input of inputs) state = reduceLoop(state, input, limits);
        state = reduceLoop(state, { kind: 'port-closed' }, limits);
        expect(state.clients.size).toBe(0);
        expect(state.waiting).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
