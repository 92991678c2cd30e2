/** Bytes counted in time slots, enough to tell the current rate; a pure value, replaced on each update. */
export interface RateWindow {
  readonly slots: readonly { readonly slot: number; readonly bytes: number }[];
}

const SLOT_MS = 250;
/** The rate is the average over the last two seconds: steady enough to read, quick to fall to zero. */
const WINDOW_SLOTS = 8;

export const EMPTY_RATE: RateWindow = { slots: [] };

export function addBytes(window: RateWindow, bytes: number, nowMs: number): RateWindow {
  const slot = Math.floor(nowMs / SLOT_MS);
  const kept = window.slots.filter((s) => s.slot > slot - WINDOW_SLOTS);
  const last = kept.at(-1);
  if (last !== undefined && last.slot === slot) {
    return { slots: [...kept.slice(0, -1), { slot, bytes: last.bytes + bytes }] };
  }
  return { slots: [...kept, { slot, bytes }] };
}

/** Bytes per second over the last two seconds before `nowMs`. */
export function bytesPerSecond(window: RateWindow, nowMs: number): number {
  const slot = Math.floor(nowMs / SLOT_MS);
  let total = 0;
  for (const s of window.slots) if (s.slot > slot - WINDOW_SLOTS && s.slot <= slot) total += s.bytes;
  return total / ((WINDOW_SLOTS * SLOT_MS) / 1000);
}
