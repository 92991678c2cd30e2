import type { SharingEvent } from '../sharing/sharing-types';
import { formatBytes, formatDuration, formatRate } from './byte-units';
import { addBytes, bytesPerSecond, EMPTY_RATE, type RateWindow } from './traffic-rate';

/** One HTTP message moving over one guest connection, in one direction. */
interface Transfer {
  readonly expected: number | undefined;
  readonly moved: number;
}

/**
 * A burst of activity: it starts with the first byte after a quiet spell and ends after `QUIET_MS` without
 * traffic. Pure: folded from events and the time they arrived (`reduceProgress`), rendered by `renderProgress`.
 */
export interface ProgressState {
  readonly startedAtMs: number;
  readonly lastTrafficMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Finished GET and PUT requests that carried a body. */
  readonly files: number;
  readonly rate: RateWindow;
  /** Per connection and direction ("id/in"), the message moving now. */
  readonly transfers: ReadonlyMap<string, Transfer>;
}

const QUIET_MS = 3000;
/** Only transfers that last show a line: short ones would only flicker. */
const SHOW_AFTER_MS = 1000;
const SHOW_AFTER_BYTES = 1024 * 1024;

export const IDLE_PROGRESS: ProgressState = {
  startedAtMs: 0,
  lastTrafficMs: Number.NEGATIVE_INFINITY,
  bytesIn: 0,
  bytesOut: 0,
  files: 0,
  rate: EMPTY_RATE,
  transfers: new Map(),
};

export function reduceProgress(state: ProgressState, event: SharingEvent, nowMs: number): ProgressState {
  switch (event.kind) {
    case 'traffic': {
      const current =
        nowMs - state.lastTrafficMs > QUIET_MS ? { ...IDLE_PROGRESS, startedAtMs: nowMs } : state;
      const key = `${event.id}/${event.direction}`;
      const previous = current.transfers.get(key);
      const startsMessage = event.announcedBytes !== undefined || previous === undefined;
      const transfer: Transfer = startsMessage
        ? { expected: event.announcedBytes, moved: event.bytes }
        : { ...previous, moved: previous.moved + event.bytes };
      const transfers = new Map(current.transfers);
      transfers.set(key, transfer);
      // A response starting on a connection means its request has arrived: a request of unknown size (a GET's
      // head) would otherwise count as a second transfer moving until the request's event.
      const request = transfers.get(`${event.id}/in`);
      if (event.direction === 'out' && startsMessage && request?.expected === undefined)
        transfers.delete(`${event.id}/in`);
      return {
        ...current,
        lastTrafficMs: nowMs,
        bytesIn: current.bytesIn + (event.direction === 'in' ? event.bytes : 0),
        bytesOut: current.bytesOut + (event.direction === 'out' ? event.bytes : 0),
        rate: addBytes(current.rate, event.bytes, nowMs),
        transfers,
      };
    }
    case 'request': {
      const carried = event.method === 'GET' ? event.bytesOut : event.method === 'PUT' ? event.bytesIn : 0;
      // A finished request ends the transfers of unknown size (the event does not say which connection).
      const transfers = new Map([...state.transfers].filter(([, t]) => t.expected !== undefined));
      return { ...state, files: state.files + (carried > 0 ? 1 : 0), transfers };
    }
    case 'client-closed': {
      const transfers = new Map(state.transfers);
      transfers.delete(`${event.id}/in`);
      transfers.delete(`${event.id}/out`);
      return { ...state, transfers };
    }
    default:
      return state;
  }
}

/** Still moving: fewer bytes than announced (the count includes the head, so it ends a little early), or no size known. */
function inFlight(transfer: Transfer): boolean {
  return transfer.expected === undefined || transfer.moved < transfer.expected;
}

/** The live line, or undefined when there is nothing worth showing (idle, or a short burst). */
export function renderProgress(state: ProgressState, nowMs: number): string | undefined {
  if (nowMs - state.lastTrafficMs > QUIET_MS) return undefined;
  // A transfer that ended takes its line with it, rather than leaving a falling rate on screen.
  if (![...state.transfers.values()].some(inFlight)) return undefined;
  const total = state.bytesIn + state.bytesOut;
  if (nowMs - state.startedAtMs < SHOW_AFTER_MS || total < SHOW_AFTER_BYTES) return undefined;
  const rate = bytesPerSecond(state.rate, nowMs);
  let remaining = 0;
  let known = false;
  for (const t of state.transfers.values()) {
    if (t.expected === undefined) continue;
    const left = t.expected - t.moved;
    if (left > 0) {
      remaining += left;
      known = true;
    }
  }
  const moving = [...state.transfers.values()].filter(inFlight).length;
  const parts = [
    // Files done, and transfers moving now: one long download alone read "0 files" until it ended.
    `${state.files} done, ${moving} moving`,
    // "queued": handed to the SPICE socket; when the guest program reads it cannot be known from here.
    `↓ ${formatBytes(state.bytesOut)} queued for guest, ↑ ${formatBytes(state.bytesIn)} from guest`,
    formatRate(rate),
  ];
  if (known && rate > 0) parts.push(`ETA ${formatDuration(remaining / rate)}`);
  return parts.join(', ');
}
