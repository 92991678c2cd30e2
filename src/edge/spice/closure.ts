import { displayText } from '../../wire/display-text';
import type { ChannelClosedError } from './channel-closed-error';
import { SpiceConnectionError } from './errors';
import type { ProbeResult } from './server-probe';
import { describeEndpoint } from './target';

/** What the session saw before the close that helps explain it. */
export interface ClosureContext {
  /** The main channel sent MIGRATE_SWITCH_HOST: the VM is moving to another host. */
  migratedTo?: { host: string; port: number; tlsPort: number };
}

/**
 * Why did the server close our session? spice-server sends no message when it drops a client: neither when
 * another client's main channel link kicks us (reds_disconnect) nor when QEMU dies. Both look like EOF on
 * every channel (tested against QEMU 7.2 / spice-server 0.15: no DISCONNECTING or NOTIFY before the EOF).
 * What differs is the server afterwards: after a kick it still answers, after a crash or shutdown it does not.
 * So the caller probes the server (server-probe.ts) and passes the answer.
 */
export function classifyClosure(
  closed: ChannelClosedError,
  probe: ProbeResult,
  context: ClosureContext = {},
): SpiceConnectionError {
  const where = describeEndpoint(closed.endpoint);
  if (context.migratedTo !== undefined) {
    const { host, port, tlsPort } = context.migratedTo;
    const ports = [port > 0 ? `port ${port}` : '', tlsPort > 0 ? `tls-port ${tlsPort}` : ''].filter(Boolean);
    return new SpiceConnectionError(
      'server-gone',
      `The VM migrated to ${displayText(host)} (${ports.join(', ')}) and the SPICE server at ${where} closed the session: connect to the new host.`,
      { cause: closed },
    );
  }
  if (probe === 'alive') {
    return new SpiceConnectionError(
      'kicked',
      `The SPICE server at ${where} dropped this session but is still running: most likely another SPICE client ` +
        '(virt-manager, remote-viewer, another spice-webdav) connected, and SPICE serves one client at a time. ' +
        'Close the other client and connect again (without --reconnect=always, spice-webdav does not reconnect ' +
        'after this by itself, so that it does not fight the other client over the VM).',
      { cause: closed },
    );
  }
  return new SpiceConnectionError(
    'server-gone',
    probe === 'gone'
      ? `The SPICE server at ${where} went away: it closed the session and nothing listens there any more. The VM was shut down or QEMU exited; start it and connect again.`
      : `The SPICE server at ${where} went away: it closed the session and does not answer any more. Check that the VM is running and the network between here and there.`,
    { cause: closed },
  );
}
