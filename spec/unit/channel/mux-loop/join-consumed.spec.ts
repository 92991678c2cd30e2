import type { LoopInput } from '../../../../src/channel/mux-loop/loop-messages';
import { joinConsumed } from '../../../../src/channel/mux-loop/join-consumed';

const key = { id: 'a', generation: 1 };
const consumed = (bytes: number, generation = 1, frames?: number): LoopInput<never> => ({
  kind: 'session-output',
  key: { ...key, generation },
  output: { kind: 'request-consumed', bytes, ...(frames === undefined ? {} : { frames }) },
});

describe('joinConsumed', () => {
  it("joins a session's request-consumed to its previous one, counting bytes and frames", () => {
    expect(joinConsumed(consumed(10), consumed(1))).toEqual(consumed(11, 1, 2));
    expect(joinConsumed(consumed(11, 1, 2), consumed(1))).toEqual(consumed(12, 1, 3));
  });

  it('keeps apart other sessions, other generations of an id, and other outputs', () => {
    expect(joinConsumed(consumed(1), consumed(1, 2))).toBeUndefined();
    const waiting: LoopInput<never> = { kind: 'session-output', key, output: { kind: 'response-waiting' } };
    expect(joinConsumed(consumed(1), waiting)).toBeUndefined();
    expect(joinConsumed(waiting, consumed(1))).toBeUndefined();
    expect(joinConsumed({ kind: 'tick' }, consumed(1))).toBeUndefined();
  });
});
