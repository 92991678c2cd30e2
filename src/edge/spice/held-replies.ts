/**
 * The replies we owe the server (PONG for PING, ACK_SYNC for SET_ACK, ACK for a full window) that the socket
 * could not take yet, as a pure reducer. A server that floods PINGs or SET_ACK-windowed messages and never
 * reads our replies must not make us queue one reply per message (issue 17: 72 MB to 1.8 GB in 40 s), so
 * what is held is bounded whatever the server sends:
 * - PONG: one per PING id, only the latest MAX_HELD_PONGS (spice-server waits for the PONG of its last PING;
 *   the network test pairs a PING with the next one). Older ones are dropped.
 * - ACK_SYNC: only the latest generation; it also drops an ACK owed under the old one, which the server would
 *   ignore anyway.
 * - ACK: merged into one. spice-server asks for ACKs only on display and cursor channels, which we never
 *   open; a server that asks for them and does not read them gets fewer.
 */

export type ControlReply =
  | { kind: 'pong'; id: number; timestamp: bigint }
  | { kind: 'ack-sync'; generation: number }
  | { kind: 'ack' };

type PongReply = Extract<ControlReply, { kind: 'pong' }>;

export interface HeldReplies {
  readonly ackSync: number | undefined;
  readonly ack: boolean;
  /** Oldest first, ids unique. */
  readonly pongs: readonly PongReply[];
}

export const MAX_HELD_PONGS = 4;

export const noHeldReplies: HeldReplies = { ackSync: undefined, ack: false, pongs: [] };

export function holdReply(held: HeldReplies, reply: ControlReply): HeldReplies {
  switch (reply.kind) {
    case 'ack-sync':
      return { ...held, ackSync: reply.generation, ack: false };
    case 'ack':
      return { ...held, ack: true };
    case 'pong': {
      const others = held.pongs.filter((pong) => pong.id !== reply.id);
      return { ...held, pongs: [...others, reply].slice(-MAX_HELD_PONGS) };
    }
  }
}

/** How many reply messages are held (at most 2 + MAX_HELD_PONGS). */
export function heldReplyCount(held: HeldReplies): number {
  return (held.ackSync === undefined ? 0 : 1) + (held.ack ? 1 : 0) + held.pongs.length;
}

/** The next reply to send, in the order the server expects them: ACK_SYNC before ACKs of its generation. */
export function takeHeldReply(held: HeldReplies): { reply: ControlReply; rest: HeldReplies } | undefined {
  if (held.ackSync !== undefined) {
    return { reply: { kind: 'ack-sync', generation: held.ackSync }, rest: { ...held, ackSync: undefined } };
  }
  if (held.ack) return { reply: { kind: 'ack' }, rest: { ...held, ack: false } };
  const [first, ...rest] = held.pongs;
  return first === undefined ? undefined : { reply: first, rest: { ...held, pongs: rest } };
}
