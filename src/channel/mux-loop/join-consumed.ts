import type { LoopInput } from './loop-messages';
import { sameKey } from './loop-state';

/**
 * Joins a session's `request-consumed` to the one it said just before in the same turn: its HTTP side takes a
 * burst of delivered frames in one go, and a step of the loop per frame cost a copy of the session table each
 * (an attacker's guest packed 5,957 one-byte frames into each SPICE message beside 252 idle connections).
 */
export function joinConsumed<S>(queued: LoopInput<S>, next: LoopInput<S>): LoopInput<S> | undefined {
  if (queued.kind !== 'session-output' || next.kind !== 'session-output') return undefined;
  if (queued.output.kind !== 'request-consumed' || next.output.kind !== 'request-consumed') return undefined;
  if (!sameKey(queued.key, next.key)) return undefined;
  return {
    kind: 'session-output',
    key: queued.key,
    output: {
      kind: 'request-consumed',
      bytes: queued.output.bytes + next.output.bytes,
      frames: (queued.output.frames ?? 1) + (next.output.frames ?? 1),
    },
  };
}
