// Byte-level helpers of the fake SPICE peers: bench/fake-spice-peer.ts (the guest-free bench driver) and the
// specs' fake server (spec/unit/edge/spice/support/fake-spice-server.ts) read a client's link the same way.
import type * as net from 'node:net';

/** Reads exactly `n` bytes from a socket in paused mode; rejects if the client closes first. */
export function readExactly(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk === null) return;
      cleanup();
      resolve(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('the client closed during the link'));
    };
    const cleanup = (): void => {
      socket.removeListener('readable', attempt);
      socket.removeListener('end', onEnd);
    };
    socket.on('readable', attempt);
    socket.on('end', onEnd);
    attempt();
  });
}

/** A little-endian uint32, as SPICE's link and init messages carry them. */
export function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}
