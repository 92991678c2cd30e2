import { type Observable, NEVER } from 'rxjs';
import type { SessionEvent, WebdavLink } from '../../../../../src/edge/spice/spice-session';
import type { SpiceEndpoint } from '../../../../../src/edge/spice/target';
import { nameOf } from '../../../channel/mux-loop/loop-fixtures';

export const endpoint: SpiceEndpoint = { kind: 'tcp', host: '127.0.0.1', port: 5900, secure: false };

/**
 * A webdav channel without a socket: what the edge writes to it is logged as "send ID:TEXT" (or "close ID"
 * for a zero frame), with the virtual time it happened at; the socket never fills up.
 */
export function fakeLink(
  now: () => number,
  drained$: Observable<void> = NEVER,
): { linked: SessionEvent; writes: string[] } {
  const writes: string[] = [];
  const link: WebdavLink = {
    endpoint,
    headerKind: 'mini',
    serverChannelCaps: [],
    advertisedChannelCaps: [],
    drained$,
    send: () => true,
    sendAll: (messages) => messages.length,
    sendBatch: (_type, bodies) => bodies.length,
    sendFrames: (id, payloads) => {
      for (const payload of payloads) writes.push(`${now()}: send ${nameOf(id)}:${payload.toString()}`);
      return payloads.length;
    },
    sendCloseFrames: (ids) => {
      for (const id of ids) writes.push(`${now()}: close ${nameOf(id)}`);
      return true;
    },
    pauseReading: () => writes.push(`${now()}: pause`),
    resumeReading: () => writes.push(`${now()}: resume`),
    heldReplies: () => 0,
  };
  return { linked: { kind: 'webdav-linked', ...link }, writes };
}
