import type { ShareSpec } from '../../channel/mux-loop/loop-messages';
import type { SharingEvent } from '../sharing/sharing-types';
import { describeEndpoint } from '../spice/target';
import { describeShare } from './describe-share';
import { formatBytes, formatRate } from './byte-units';
import {
  addCompressed,
  describeCompression,
  NO_COMPRESSION,
  type CompressionTally,
} from './compression-tally';
import { addBytes, bytesPerSecond, EMPTY_RATE, type RateWindow } from './traffic-rate';

interface ClientTally {
  readonly id: string;
  readonly openedAtMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly rateIn: RateWindow;
  readonly rateOut: RateWindow;
}

/** Everything `status` reports, folded from the event stream (`reduceStatus`); pure. */
export interface StatusState {
  readonly channel: 'connecting' | 'connected' | 'ready';
  readonly endpoint: string | undefined;
  readonly guestPort: 'open' | 'closed';
  readonly shared: ShareSpec | null;
  readonly clients: ReadonlyMap<string, ClientTally>;
  readonly readingPaused: boolean;
  readonly requests: number;
  readonly compression: CompressionTally;
}

export const INITIAL_STATUS: StatusState = {
  channel: 'connecting',
  endpoint: undefined,
  guestPort: 'closed',
  shared: null,
  clients: new Map(),
  readingPaused: false,
  requests: 0,
  compression: NO_COMPRESSION,
};

export function reduceStatus(state: StatusState, event: SharingEvent, nowMs: number): StatusState {
  switch (event.kind) {
    case 'connected':
      return { ...state, channel: 'connected', endpoint: describeEndpoint(event.endpoint) };
    case 'channel-ready':
      return {
        ...state,
        channel: 'ready',
        endpoint: describeEndpoint(event.endpoint),
        compression: { ...NO_COMPRESSION, lz4: event.lz4 },
      };
    case 'compressed-data':
      return { ...state, compression: addCompressed(state.compression, event.compressedBytes, event.bytes) };
    case 'port-opened':
      return { ...state, guestPort: 'open', clients: new Map() };
    case 'port-closed':
      return { ...state, guestPort: 'closed', clients: new Map() };
    case 'sharing-started':
      return { ...state, shared: event.share };
    case 'sharing-stopped':
      return { ...state, shared: null };
    case 'client-opened':
      return withClient(state, event.id, (c) => c, nowMs);
    case 'client-closed': {
      const clients = new Map(state.clients);
      clients.delete(event.id);
      return { ...state, clients };
    }
    case 'traffic':
      return withClient(
        state,
        event.id,
        (c) =>
          event.direction === 'in'
            ? { ...c, bytesIn: c.bytesIn + event.bytes, rateIn: addBytes(c.rateIn, event.bytes, nowMs) }
            : { ...c, bytesOut: c.bytesOut + event.bytes, rateOut: addBytes(c.rateOut, event.bytes, nowMs) },
        nowMs,
      );
    case 'flow':
      return { ...state, readingPaused: event.reading === 'paused' };
    case 'request':
      return { ...state, requests: state.requests + 1 };
    default:
      return state;
  }
}

function withClient(
  state: StatusState,
  id: string,
  change: (client: ClientTally) => ClientTally,
  nowMs: number,
): StatusState {
  const client = state.clients.get(id) ?? {
    id,
    openedAtMs: nowMs,
    bytesIn: 0,
    bytesOut: 0,
    rateIn: EMPTY_RATE,
    rateOut: EMPTY_RATE,
  };
  const clients = new Map(state.clients);
  clients.set(id, change(client));
  return { ...state, clients };
}

/** The status as plain data (what the control socket sends as JSON). Bytes "in" come from the guest. */
export interface StatusReport {
  readonly channel: StatusState['channel'];
  readonly endpoint: string | null;
  readonly guestPort: StatusState['guestPort'];
  readonly shared: StatusState['shared'];
  readonly readingPaused: boolean;
  readonly requests: number;
  readonly compression: CompressionTally;
  readonly clients: readonly {
    readonly id: string;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly rateInBytesPerSecond: number;
    readonly rateOutBytesPerSecond: number;
    readonly openForMs: number;
  }[];
}

export function statusReport(state: StatusState, nowMs: number): StatusReport {
  return {
    channel: state.channel,
    endpoint: state.endpoint ?? null,
    guestPort: state.guestPort,
    shared: state.shared,
    readingPaused: state.readingPaused,
    requests: state.requests,
    compression: state.compression,
    clients: [...state.clients.values()].map((c) => ({
      id: c.id,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      rateInBytesPerSecond: Math.round(bytesPerSecond(c.rateIn, nowMs)),
      rateOutBytesPerSecond: Math.round(bytesPerSecond(c.rateOut, nowMs)),
      openForMs: nowMs - c.openedAtMs,
    })),
  };
}

const CHANNEL_TEXT: Record<StatusReport['channel'], string> = {
  connecting: 'connecting',
  connected: 'connected, linking the webdav channel',
  ready: 'webdav channel up',
};

/** The status for a person at the terminal, a few lines. */
export function renderStatus(report: StatusReport): string {
  const lines = [
    `channel: ${CHANNEL_TEXT[report.channel]}${report.endpoint === null ? '' : ` (${report.endpoint})`}`,
    `guest:   spice-webdavd ${report.guestPort === 'open' ? 'connected' : 'not connected'}` +
      (report.readingPaused ? ' (reading paused: the host is catching up)' : ''),
    `shared:  ${report.shared === null ? 'nothing' : describeShare(report.shared)}`,
    `compression: ${describeCompression(report.compression)}`,
    `clients: ${report.clients.length} open, ${report.requests} requests answered so far`,
    ...report.clients.map(
      (c) =>
        `  ${c.id.replace(/^(.{8})0{8}$/, '$1')}  from guest ${formatBytes(c.bytesIn)} (${formatRate(c.rateInBytesPerSecond)})` +
        `  queued for guest ${formatBytes(c.bytesOut)} (${formatRate(c.rateOutBytesPerSecond)})`,
    ),
  ];
  return lines.join('\n');
}
