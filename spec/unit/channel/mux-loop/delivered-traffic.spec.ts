import { resolveLoopLimits } from '../../../../src/channel/mux-loop/loop-limits';
import type { Effect } from '../../../../src/channel/mux-loop/loop-messages';
import { initialLoopState, type LoopState } from '../../../../src/channel/mux-loop/loop-state';
import { reduceLoop } from '../../../../src/channel/mux-loop/reduce-loop';
import { clientIdFromBigInt, encodeMuxFrame } from '../../../../src/wire/mux-frame';

const A = clientIdFromBigInt(0x10n);
const B = clientIdFromBigInt(0x20n);
const limits = resolveLoopLimits({});

/** The frames-delivered effects of a step, as "A:3 frames, 3 bytes". */
function deliveries(effects: readonly Effect[]): string[] {
  return effects.flatMap((effect) =>
    effect.kind === 'frames-delivered'
      ? [`${effect.id === A ? 'A' : 'B'}:${effect.frames.length} frames, ${effect.bytes} bytes`]
      : [],
  );
}

/**
 * An attacker's guest packed 5,957 one-byte frames of one connection into each SPICE message, and the edge
 * reported each frame as traffic apart (session 28): the frames of one connection delivered in one step are
 * one effect now.
 */
describe('guest frames delivered in one step', () => {
  const opened = (): LoopState => reduceLoop(initialLoopState, { kind: 'port-opened' }, limits);
  const message = (...frames: Buffer[]) => ({ kind: 'vmc-data' as const, pieces: [Buffer.concat(frames)] });

  it('are one effect per connection while its frames follow each other', () => {
    const head = encodeMuxFrame(A, Buffer.from('PUT /f HTTP/1.1\r\nContent-Length: 3\r\n\r\n'));
    const byte = encodeMuxFrame(A, Buffer.from('x'));
    const state = reduceLoop(opened(), message(head, byte, byte, byte), limits);
    expect(deliveries(state.effects)).toEqual([`A:4 frames, ${head.length - 10 + 3} bytes`]);
  });

  it('begin a new effect where another connection has a frame, and after an event', () => {
    const a = encodeMuxFrame(A, Buffer.from('GET /a HTTP/1.1\r\n'));
    const b = encodeMuxFrame(B, Buffer.from('GET /b HTTP/1.1\r\n'));
    const aMore = encodeMuxFrame(A, Buffer.from('\r\n'));
    const state = reduceLoop(opened(), message(a, aMore, b, aMore), limits);
    // B's frame opens B (an event: client-opened), then A's next frame is a new effect.
    expect(deliveries(state.effects)).toEqual([
      'A:2 frames, 19 bytes',
      'B:1 frames, 17 bytes',
      'A:1 frames, 2 bytes',
    ]);
  });
});
