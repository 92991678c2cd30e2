import * as net from 'node:net';
import * as tls from 'node:tls';

import { SPICE_MAGIC_BYTES } from '../../wire/constants';
import { openSshTunnel } from './ssh-tunnel';
import type { SpiceEndpoint } from './target';

/**
 * - 'alive': the SPICE server answered, so its process is running;
 * - 'gone': refused, or reset without an answer (QEMU exited);
 * - 'no-answer': nothing within the timeout (hung, or the network is down).
 */
export type ProbeResult = 'alive' | 'gone' | 'no-answer';

/**
 * A link header with major version 1. spice-server answers any major other than 2 (and not 0) with a
 * VERSION_MISMATCH reply and closes (reds_handle_read_header_done); it logs a "version mismatch" warning and
 * changes nothing else. Unlike a main channel link it does not kick the client connected now.
 */
const PROBE_HEADER = Buffer.concat([SPICE_MAGIC_BYTES, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 18, 0, 0, 0])]);

/**
 * Is the SPICE server still there? Used after our session was closed, to tell "another client took over"
 * (the server is alive) from "QEMU went away".
 *
 * A bare TCP connect is not enough: when QEMU dies, the kernel closes our sockets a few milliseconds before
 * its listening socket, and in that window it still completes handshakes on behalf of the dead process
 * (seen against QEMU 7.2). So the probe asks for an answer only a running server can give.
 * On a TLS port the handshake itself needs the live server; the certificate is not checked since nothing
 * secret is sent.
 */
export async function probeServer(endpoint: SpiceEndpoint, timeoutMs = 3_000): Promise<ProbeResult> {
  // Through an ssh tunnel the probe takes the same way (the address is on the ssh host's side).
  const tunnelled =
    endpoint.kind === 'tcp' && endpoint.via !== undefined
      ? await openSshTunnel(endpoint.via, endpoint.host, endpoint.port).then(
          (tunnel) => tunnel.socket,
          () => undefined,
        )
      : undefined;
  if (endpoint.kind === 'tcp' && endpoint.via !== undefined && tunnelled === undefined) return 'no-answer';
  return new Promise((resolve) => {
    const secure = endpoint.kind === 'tcp' && endpoint.secure;
    const socket = tunnelled === undefined ? openProbeSocket(endpoint) : wrapProbeSocket(tunnelled, secure);
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('no-answer'), timeoutMs);
    if (tunnelled !== undefined && !secure) socket.write(PROBE_HEADER);
    else socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(PROBE_HEADER));
    socket.once('data', () => finish('alive'));
    socket.once('end', () => finish('gone'));
    socket.once('close', () => finish('gone'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(probeErrorResult(error.code ?? '')));
  });
}

function probeErrorResult(code: string): ProbeResult {
  if (['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE'].includes(code)) return 'gone';
  // A TLS alert means a live server took part in the handshake.
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'alive';
  return 'no-answer';
}

function openProbeSocket(endpoint: SpiceEndpoint): net.Socket {
  if (endpoint.kind === 'unix') return net.connect({ path: endpoint.path });
  if (!endpoint.secure) return net.connect({ host: endpoint.host, port: endpoint.port });
  return tls.connect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false });
}

/** A tunnel is connected already; TLS (unchecked, as above) starts on it when the endpoint is secure. */
function wrapProbeSocket(tunnel: net.Socket, secure: boolean): net.Socket {
  return secure ? tls.connect({ socket: tunnel, rejectUnauthorized: false }) : tunnel;
}
