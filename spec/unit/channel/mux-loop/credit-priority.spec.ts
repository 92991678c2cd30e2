import { resolveLoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { Effect, LoopInput, SessionOutput } from '../../../../src/channel/mux-loop/loop-messages';
import { initialLoopState, type LoopState } from '../../../../src/channel/mux-loop/loop-state';
import { reduceLoop } from '../../../../src/channel/mux-loop/reduce-loop';
import { clientIdFromBigInt, encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';

const A = clientIdFromBigInt(0x10n);
const B = clientIdFromBigInt(0x20n);
const C = clientIdFromBigInt(0x30n);
const names = new Map([
  [A, 'A'],
  [B, 'B'],
  [C, 'C'],
]);

// One credit in all: whoever gets it is the one that can send.
const limits = resolveLoopLimits({ creditsPerClient: 1, creditsTotal: 1 });

const opens = (id: ClientId, path: string): LoopInput => ({
  kind: 'vmc-data',
  pieces: [encodeMuxFrame(id, Buffer.from(`GET ${path} HTTP/1.1\r\n\r\n`))],
});
const says = (id: ClientId, output: SessionOutput): LoopInput => ({
  kind: 'session-output',
  key: { id, generation: [A, B, C].indexOf(id) + 1 },
  output,
});

/** The session inputs a step sends, as "grant A 1" / "revoke B". */
function sessionInputs(effects: readonly Effect[]): string[] {
  return effects.flatMap((effect) => {
    if (effect.kind !== 'to-session') return [];
    const name = names.get(effect.key.id) ?? '?';
    if (effect.input.kind === 'grant') return [`grant ${name} ${effect.input.chunks}`];
    if (effect.input.kind === 'revoke') return [`revoke ${name}`];
    return [];
  });
}

describe('credit goes first to a session that says it has a response waiting', () => {
  it('when credit comes back, it goes to the session that asked, not to one still working on its answer', () => {
    let state: LoopState = initialLoopState;
    const step = (input: LoopInput): string[] => {
      state = reduceLoop(state, input, limits);
      return sessionInputs(state.effects);
    };
    step({ kind: 'port-opened' });
    expect(step(opens(A, '/a'))).toEqual(['grant A 1']);
    // B waits with none while A holds its credit unused: A is asked for it back, and B gets it.
    expect(step(opens(B, '/b'))).toEqual(['revoke A']);
    expect(step(says(A, { kind: 'credits-returned', chunks: 1 }))).toEqual(['grant B 1']);
    // C opens, and B (still working on its answer, say a listing) is asked for the credit back.
    expect(step(opens(C, '/c'))).toEqual(['revoke B']);
    // A now has a response to send; C has none yet.
    expect(step(says(A, { kind: 'response-waiting' }))).toEqual([]);
    // Before: the credit went to C, which had asked for nothing, and sat there until another step took it back.
    expect(step(says(B, { kind: 'credits-returned', chunks: 1 }))).toEqual(['grant A 1']);
  });

  it('a new session with a response goes before idle ones waiting for credit ahead, at once', () => {
    let state: LoopState = initialLoopState;
    const step = (input: LoopInput): string[] => {
      state = reduceLoop(state, input, limits);
      return sessionInputs(state.effects);
    };
    step({ kind: 'port-opened' });
    expect(step(opens(A, '/a'))).toEqual(['grant A 1']);
    expect(step(opens(B, '/b'))).toEqual(['revoke A']);
    expect(step(opens(C, '/c'))).toEqual([]); // B and C wait in line
    expect(step(says(A, { kind: 'credits-returned', chunks: 1 }))).toEqual(['grant B 1']);
    // C, never granted anything, has its answer ready while B (an idle connection that sent a byte) holds the
    // credit. Before: C's word was ignored (it was not parked) and it waited for the next tick, 8 connections a
    // step; 200 idle ones held a small GET for a minute.
    expect(step(says(C, { kind: 'response-waiting' }))).toEqual(['revoke B']);
    expect(step(says(B, { kind: 'credits-returned', chunks: 1 }))).toEqual(['grant C 1']);
  });
});
