// Property spec: the select loop's reducer fed arbitrary sequences of inputs (raw guest bytes, well-formed
// frames for a few ids, session output for live and stale sessions, flushes, ticks, port and share changes)
// never throws, and its state stays within the limits whatever the guest does.

import fc from 'fast-check';
import type { LoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { LoopInput, SessionKey } from '../../../../src/channel/mux-loop/loop-messages';
import { creditsInUse, initialLoopState, type LoopState } from '../../../../src/channel/mux-loop/loop-state';
import { reduceLoop } from '../../../../src/channel/mux-loop/reduce-loop';
import { MUX_HEADER_SIZE, MUX_MAX_PAYLOAD } from '../../../../src/wire/constants';
import { clientIdFromBigInt, encodeMuxFrame, muxBytesHeld } from '../../../../src/wire/mux-frame';

const limits: LoopLimits = {
  creditsPerClient: 3,
  creditsTotal: 7,
  bufferHighWater: 2000,
  bufferLowWater: 500,
  maxClients: 4,
  maxBufferedPerClient: 3000,
  stalledTicks: 3,
  idleTicks: 6,
};

const idArb = fc.bigInt({ min: 0n, max: 6n }).map(clientIdFromBigInt);
const keyArb: fc.Arbitrary<SessionKey> = fc.record({
  id: idArb,
  generation: fc.integer({ min: 0, max: 40 }),
});

const inputArb: fc.Arbitrary<LoopInput> = fc.oneof(
  fc.constant<LoopInput>({ kind: 'port-opened' }),
  fc.constant<LoopInput>({ kind: 'port-closed' }),
  fc.constant<LoopInput>({ kind: 'tick' }),
  fc.constant<LoopInput>({ kind: 'sharing-stopped' }),
  fc.constant<LoopInput>({ kind: 'sharing-started', share: { path: '/s', readOnly: false } }),
  fc
    .uint8Array({ maxLength: 300 })
    .map((bytes): LoopInput => ({ kind: 'vmc-data', data: Buffer.from(bytes) })),
  fc.array(fc.tuple(idArb, fc.uint8Array({ maxLength: 1500 })), { maxLength: 4 }).map((list): LoopInput => ({
    kind: 'vmc-data',
    data: Buffer.concat(list.map(([id, payload]) => encodeMuxFrame(id, Buffer.from(payload)))),
  })),
  keyArb.map((key): LoopInput => ({ kind: 'frame-flushed', key, bytes: 0 })),
  fc.tuple(keyArb, fc.integer({ min: 0, max: 5000 })).map(([key, bytes]): LoopInput => ({
    kind: 'session-output',
    key,
    output: { kind: 'request-consumed', bytes },
  })),
  fc.tuple(keyArb, fc.uint8Array({ maxLength: 100 })).map(([key, data]): LoopInput => ({
    kind: 'session-output',
    key,
    output: { kind: 'response-data', data: Buffer.from(data) },
  })),
  fc
    .tuple(keyArb, fc.option(fc.string(), { nil: undefined }))
    .map(([key, error]): LoopInput =>
      error === undefined ? { kind: 'session-ended', key } : { kind: 'session-ended', key, error },
    ),
);

function checkBounds(state: LoopState): void {
  expect(state.clients.size).toBeLessThanOrEqual(limits.maxClients);
  let granted = 0;
  for (const client of state.clients.values()) {
    expect(client.buffered).toBeGreaterThanOrEqual(0);
    expect(client.buffered).toBeLessThanOrEqual(limits.maxBufferedPerClient ?? Infinity);
    expect(client.granted).toBeLessThanOrEqual(limits.creditsPerClient);
    granted += client.granted;
  }
  expect(granted).toBeLessThanOrEqual(limits.creditsTotal);
  expect(creditsInUse(state.clients)).toBeGreaterThanOrEqual(0);
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
        let state = initialLoopState;
        for (const input of inputs) {
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
        let state = reduceLoop(initialLoopState, { kind: 'port-opened' }, limits);
        for (const input of inputs) state = reduceLoop(state, input, limits);
        state = reduceLoop(state, { kind: 'port-closed' }, limits);
        expect(state.clients.size).toBe(0);
        expect(state.waiting).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
