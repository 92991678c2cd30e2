import { announcedLength, announcedLengthOfPieces } from './announced-length';
import type { TrafficEvent } from './sharing-types';

/**
 * The frames of one batch as traffic events: one for the whole batch, unless an HTTP message starts at a later
 * frame, where a new event begins (it carries that message's announced length and only the bytes from there).
 */
export function trafficEvents(
  id: string,
  direction: 'in' | 'out',
  payloads: readonly Buffer[],
): TrafficEvent[] {
  return eventsOfFrames(
    id,
    direction,
    payloads.length,
    (index) => payloads[index]?.length ?? 0,
    (index) => announcedLengthAt(payloads[index]),
  );
}

/** The same for guest frames delivered to a session in one loop step, each frame as its pieces. */
export function deliveredTrafficEvents(id: string, frames: readonly (readonly Buffer[])[]): TrafficEvent[] {
  return eventsOfFrames(
    id,
    'in',
    frames.length,
    (index) => bytesOf(frames[index] ?? []),
    (index) => announcedLengthOfPieces(frames[index] ?? []),
  );
}

/**
 * Frames `0 .. count-1` as events: `bytes(i)` each, and `startsMessage(i)` the announced length of a message
 * frame i starts (undefined for a frame that goes on with one).
 */
function eventsOfFrames(
  id: string,
  direction: 'in' | 'out',
  count: number,
  bytes: (index: number) => number,
  startsMessage: (index: number) => number | undefined,
): TrafficEvent[] {
  const events: TrafficEvent[] = [];
  let moved = 0;
  let announced: number | undefined;
  for (let index = 0; index < count; index++) {
    const starts = startsMessage(index);
    if (starts !== undefined && index > 0) {
      events.push(trafficEvent(id, direction, moved, announced));
      moved = 0;
    }
    if (starts !== undefined || index === 0) announced = starts;
    moved += bytes(index);
  }
  events.push(trafficEvent(id, direction, moved, announced));
  return events;
}

function announcedLengthAt(payload: Buffer | undefined): number | undefined {
  return payload === undefined ? undefined : announcedLength(payload);
}

function bytesOf(pieces: readonly Buffer[]): number {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  return total;
}

/** One traffic event: `bytes` of a connection that moved, and the announced length of a message they start. */
export function trafficEvent(
  id: string,
  direction: 'in' | 'out',
  bytes: number,
  announced: number | undefined,
): TrafficEvent {
  return {
    kind: 'traffic',
    id,
    direction,
    bytes,
    ...(announced === undefined ? {} : { announcedBytes: announced }),
  };
}
