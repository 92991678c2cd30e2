import { announcedLength } from './announced-length';
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
  const events: TrafficEvent[] = [];
  let bytes = 0;
  let announced: number | undefined;
  payloads.forEach((payload, index) => {
    const starts = announcedLength(payload);
    if (starts !== undefined && index > 0) {
      events.push(trafficEvent(id, direction, bytes, announced));
      bytes = 0;
    }
    if (starts !== undefined || index === 0) announced = starts;
    bytes += payload.length;
  });
  events.push(trafficEvent(id, direction, bytes, announced));
  return events;
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
