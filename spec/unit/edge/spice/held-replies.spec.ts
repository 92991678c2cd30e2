import {
  MAX_HELD_PONGS,
  heldReplyCount,
  holdReply,
  noHeldReplies,
  takeHeldReply,
  type ControlReply,
  type HeldReplies,
} from '../../../../src/edge/spice/held-replies';

function drain(held: HeldReplies): ControlReply[] {
  const out: ControlReply[] = [];
  for (let next = takeHeldReply(held); next !== undefined; next = takeHeldReply(next.rest))
    out.push(next.reply);
  return out;
}

const pong = (id: number): ControlReply => ({ kind: 'pong', id, timestamp: BigInt(id) * 10n });

describe('held replies', () => {
  it('keeps one PONG per id and only the latest few, whatever the number of PINGs', () => {
    let held = noHeldReplies;
    for (let id = 1; id <= 10_000; id++) held = holdReply(held, pong(id));
    held = holdReply(held, pong(9998));
    expect(heldReplyCount(held)).toBe(MAX_HELD_PONGS);
    expect(drain(held)).toEqual([pong(9997), pong(9999), pong(10_000), pong(9998)]);
  });

  it('merges ACKs into one and sends ACK_SYNC of the latest generation first, dropping ACKs of the old one', () => {
    let held = holdReply(noHeldReplies, pong(5));
    for (let i = 0; i < 1000; i++) held = holdReply(held, { kind: 'ack' });
    held = holdReply(held, { kind: 'ack-sync', generation: 2 });
    held = holdReply(held, { kind: 'ack-sync', generation: 3 });
    expect(drain(held)).toEqual([{ kind: 'ack-sync', generation: 3 }, pong(5)]);
    held = holdReply(held, { kind: 'ack' });
    held = holdReply(held, { kind: 'ack' });
    expect(heldReplyCount(held)).toBe(3);
    expect(drain(held)).toEqual([{ kind: 'ack-sync', generation: 3 }, { kind: 'ack' }, pong(5)]);
  });

  it('holds nothing to begin with', () => {
    expect(heldReplyCount(noHeldReplies)).toBe(0);
    expect(takeHeldReply(noHeldReplies)).toBeUndefined();
  });
});
