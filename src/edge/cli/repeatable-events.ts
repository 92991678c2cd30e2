import type { SharingEvent } from '../sharing/sharing-types';

/**
 * The kind of line an event makes among those the SPICE server or the guest can repeat at will, which are
 * logged at most 10 times in 10 s each (repeat-limiter.ts); undefined for every other event. Each of these
 * filled the journal under an attacker: the guest's daemon starting and stopping (port events), server
 * notices, a stray byte before each reopening of the port (a resync line per reopening, 134 MB of log in 10 s),
 * and a failing request repeated in a pipeline (a COPY to another host: 89,600 lines of "failed with 502" in
 * 10 s from a guest program without root).
 */
export function repeatableKind(event: SharingEvent): string | undefined {
  switch (event.kind) {
    case 'port-opened':
    case 'port-closed':
    case 'server-notice':
    case 'stream-resynced':
      return event.kind;
    case 'request':
      return event.status >= 500 ? 'request-failed' : undefined;
    default:
      return undefined;
  }
}
