import { describeShare, describeShareFailure } from '../control/describe-share';
import { capText, displayText, terminalSafeJson } from '../../wire/display-text';
import type { SharingEvent } from '../sharing/sharing-types';
import { describeEndpoint } from '../spice/target';
import { describeTarget } from './describe-target';

const kib = (bytes: number): string =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1048576).toFixed(1)} MiB`;

const shortId = (id: string): string => id.replace(/^(.{8})0{8}$/, '$1');

/**
 * One JSON object per event for scripts (`--log-format json`): the event's own fields plus `time`, or undefined
 * for traffic events, per frame or batch (see `status` and the progress line for those). Text from the SPICE
 * server or the guest is capped in length, and the line escapes every character a terminal would act on.
 */
export function formatEventJson(event: SharingEvent, now: Date): string | undefined {
  if (event.kind === 'traffic' || event.kind === 'compressed-data') return undefined;
  return terminalSafeJson(JSON.stringify({ time: now.toISOString(), ...capPeerText(event) }));
}

function capPeerText(event: SharingEvent): SharingEvent {
  switch (event.kind) {
    case 'server-notice':
      return { ...event, message: capText(event.message) };
    case 'request':
      return { ...event, path: capText(event.path) };
    case 'client-closed':
      return event.error === undefined ? event : { ...event, error: capText(event.error) };
    default:
      return event;
  }
}

/**
 * One log line per event, or undefined to stay quiet. The default log is short (what a person watching needs);
 * `verbose` adds every connection and request.
 */
export function formatEvent(event: SharingEvent, verbose: boolean): string | undefined {
  switch (event.kind) {
    case 'connecting':
      return verbose ? `connecting to ${describeTarget(event.target)}` : undefined;
    case 'connected':
      return `connected to ${describeEndpoint(event.endpoint)} (SPICE session ${event.sessionId})`;
    case 'channel-ready':
      return `webdav channel up${event.lz4 ? ' (LZ4 compression from the server asked for)' : ''}; waiting for the guest (spice-webdavd)`;
    case 'port-opened':
      return 'guest spice-webdavd is ready: in the guest, open http://127.0.0.1:9843/ or dav://localhost:9843/';
    case 'port-closed':
      return `guest spice-webdavd went away${event.droppedClients > 0 ? ` (${event.droppedClients} connections dropped)` : ''}`;
    case 'sharing-started':
      return `sharing ${describeShare(event.share)}`;
    case 'sharing-stopped':
      return 'sharing stopped: the guest now gets 503 until a folder is shared again';
    case 'share-failed':
      return describeShareFailure(event.share, event.message);
    case 'server-notice':
      return `SPICE server says: ${displayText(event.message)}`;
    case 'client-opened':
      return verbose ? `guest connection ${shortId(event.id)} opened` : undefined;
    case 'client-closed':
      if (event.by === 'error')
        return `guest connection ${shortId(event.id)} failed: ${displayText(event.error ?? 'unknown error')}`;
      return verbose
        ? `guest connection ${shortId(event.id)} closed by ${event.by} (in ${kib(event.bytesIn)}, out ${kib(event.bytesOut)})`
        : undefined;
    case 'client-refused':
      return `refused a guest connection: ${event.reason}`;
    case 'stream-resynced':
      return `dropped ${event.skippedBytes} bytes at the start of the guest's stream: the rest of a frame sent before this connection (a transfer cut off then fails in the guest; retry it there)`;
    case 'flow':
      return verbose
        ? `reading from the VM ${event.reading} (${kib(event.bufferedBytes)} buffered)`
        : undefined;
    case 'reconnecting':
      // The whole message: cutting it at its first sentence lost text (a sentence inside ssh's error) or kept
      // the wrong advice; what follows says the next attempt is ours.
      return `${event.message} Reconnecting in ${Math.round(event.delayMs / 1000)} s (attempt ${event.attempt}).`;
    case 'domain-waiting':
      if (event.state === 'missing') return `waiting for domain "${event.domain}" to be defined and started`;
      if (event.state === 'starting')
        return `waiting for libvirt to finish starting domain "${event.domain}"`;
      return `waiting for domain "${event.domain}" to start`;
    case 'domain-started':
      return `domain "${event.domain}" is running; its SPICE display is ${describeTarget(event.target)}`;
    case 'domain-stopped':
      return `domain "${event.domain}" stopped; waiting for it to start again`;
    case 'domain-undefined':
      return `domain "${event.domain}" was undefined (removed from libvirt); nothing left to share into, stopping`;
    case 'traffic':
    case 'compressed-data':
      return undefined; // one per frame: progress and status use them, the log would drown in them
    case 'request':
      return verbose
        ? `${event.method} ${displayText(event.path)} ${event.status === 0 ? 'not answered (the guest closed the connection)' : event.status} (in ${kib(event.bytesIn)}, out ${kib(event.bytesOut)} queued, ${event.ms} ms)`
        : event.status >= 500
          ? `${event.method} ${displayText(event.path)} failed with ${event.status}`
          : undefined;
  }
}
