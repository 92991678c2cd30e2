import * as net from 'node:net';

import type { SpiceEndpoint } from './target';

export type ProbeResult = 'accepting' | 'refused' | 'no-answer';

/**
 * Does the SPICE server still accept connections? A bare TCP (or unix socket) connect that is closed at
 * once, without a link message: spice-server just drops it, and unlike a main channel link it does not kick
 * the client that is connected now. Used after our session was closed, to tell "another client took over"
 * (server still there) from "QEMU went away" (refused).
 */
export function probeServer(endpoint: SpiceEndpoint, timeoutMs = 3_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket =
      endpoint.kind === 'unix'
        ? net.connect({ path: endpoint.path })
        : net.connect({ host: endpoint.host, port: endpoint.port });
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('no-answer'), timeoutMs);
    socket.once('connect', () => finish('accepting'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'refused' : 'no-answer'),
    );
  });
}
