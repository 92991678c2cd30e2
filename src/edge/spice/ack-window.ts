/**
 * The SPICE message acknowledgement window as a pure reducer (docs/spice-webdav-protocol.md section 3).
 * SET_ACK{generation, window} is answered with ACK_SYNC{generation}; from then on every `window` received
 * messages are answered with one ACK. Before any SET_ACK (window 0) nothing is acknowledged.
 * spice-server only asks for ACKs on display/cursor channels, but the rule is generic, so every channel runs it.
 */

export interface AckWindowState {
  /** Messages per ACK; 0 = acknowledgements off. */
  readonly window: number;
  /** Messages still to receive before the next ACK. */
  readonly countdown: number;
}

export type AckInput = { kind: 'set-ack'; generation: number; window: number } | { kind: 'message' };

export type AckOutput = { kind: 'none' } | { kind: 'ack' } | { kind: 'ack-sync'; generation: number };

export const initialAckWindow: AckWindowState = { window: 0, countdown: 0 };

/**
 * Feed one received message. SET_ACK restarts the count under its new window and is answered with ACK_SYNC;
 * an ACK the old window might have owed at that moment is dropped, since the server ignores ACKs of an
 * old generation anyway.
 */
export function reduceAckWindow(
  state: AckWindowState,
  input: AckInput,
): { state: AckWindowState; output: AckOutput } {
  if (input.kind === 'set-ack') {
    return {
      state: { window: input.window, countdown: input.window },
      output: { kind: 'ack-sync', generation: input.generation },
    };
  }
  if (state.window === 0) return { state, output: { kind: 'none' } };
  const countdown = state.countdown - 1;
  if (countdown > 0) return { state: { ...state, countdown }, output: { kind: 'none' } };
  return { state: { ...state, countdown: state.window }, output: { kind: 'ack' } };
}
