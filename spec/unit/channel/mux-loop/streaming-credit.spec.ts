import { resolveLoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { Effect, LoopInput, SessionOutput } from '../../../../src/channel/mux-loop/loop-messages';
import { initialLoopState, type LoopState } from '../../../../src/channel/mux-loop/loop-state';
import { reduceLoop } from '../../../../src/channel/mux-loop/reduce-loop';
import { clientIdFromBigInt, encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';

const clients = [0x10n, 0x20n, 0x30n, 0x40n].map(clientIdFromBigInt);
const [A, B, C, D] = clients;
const name = (id: ClientId): string => 'ABCD'[clients.indexOf(id)] ?? '?';

// A download may have 4 frames out at once; any other session gets 2 ahead; 8 in all.
const limits = resolveLoopLimits({ creditsPerClient: 4, creditsAhead: 2, creditsTotal: 8 });

const opens = (id: ClientId): LoopInput => ({
  kind: 'vmc-data',
  pieces: [encodeMuxFrame(id, Buffer.from(`GET /${name(id)} HTTP/1.1\r\n\r\n`))],
});
const key = (id: ClientId) => ({ id, generation: clients.indexOf(id) + 1 });
const says = (id: ClientId, output: SessionOutput): LoopInput => ({
  kind: 'session-output',
  key: key(id),
  output,
});
const answers = (id: ClientId, frames: number): LoopInput =>
  says(id, { kind: 'response-data', frames: Array.from({ length: frames }, () => Buffer.from('x')) });
const flushed = (id: ClientId, frames: number): LoopInput => ({
  kind: 'frame-flushed',
  key: key(id),
  frames,
});

/** The credit a step hands out or takes back, as "grant A 1" / "revoke B". */
function creditMoves(effects: readonly Effect[]): string[] {
  return effects.flatMap((effect) => {
    if (effect.kind !== 'to-session') return [];
    if (effect.input.kind === 'grant') return [`grant ${name(effect.key.id)} ${effect.input.chunks}`];
    if (effect.input.kind === 'revoke') return [`revoke ${name(effect.key.id)}`];
    return [];
  });
}

describe('credit: a little ahead for every session, the full window for one that streams', () => {
  let state: LoopState;
  const step = (input: LoopInput, under = limits): string[] => {
    state = reduceLoop(state, input, under);
    return creditMoves(state.effects);
  };
  beforeEach(() => {
    state = initialLoopState;
    step({ kind: 'port-opened' });
  });

  it('a session that uses all its credit is topped up to the full window, until an answer leaves some unused', () => {
    expect(step(opens(A))).toEqual(['grant A 2']);
    expect(step(answers(A, 2))).toEqual([]);
    // It used everything it had: it has more to send.
    expect(step(flushed(A, 2))).toEqual(['grant A 4']);
    expect(step(answers(A, 4))).toEqual([]);
    expect(step(flushed(A, 4))).toEqual(['grant A 4']);
    // The end of the download: one of four used. It keeps the rest, and is topped up to 2 at most from now on.
    expect(step(answers(A, 1))).toEqual([]);
    expect(step(flushed(A, 1))).toEqual([]);
    expect(state.clients.get(A)).toMatchObject({ granted: 3, inFlight: 0, streaming: false });
  });

  it('four keep-alive connections with short answers leave credit for each other: nothing is revoked', () => {
    const moves: string[] = [];
    for (const id of [A, B, C, D]) {
      moves.push(...step(opens(id)), ...step(answers(id, 1)), ...step(flushed(id, 1)));
    }
    expect(moves).toEqual([
      'grant A 2',
      'grant A 1',
      'grant B 2',
      'grant B 1',
      'grant C 2',
      'grant C 1',
      'grant D 2',
      'grant D 1',
    ]);
  });

  it('with the full window handed out ahead, the third such connection has to take credit back', () => {
    const ahead = { ...limits, creditsAhead: limits.creditsPerClient };
    const moves: string[] = [];
    for (const id of [A, B, C]) {
      moves.push(...step(opens(id), ahead), ...step(answers(id, 1), ahead), ...step(flushed(id, 1), ahead));
    }
    expect(moves).toContain('revoke A');
  });
});
