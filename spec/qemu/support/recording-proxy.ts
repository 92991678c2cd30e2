// A TCP forwarder that records every byte a client sends through it, per connection: put it in front of QEMU's
// plain SPICE port to see what would travel in clear (link messages, and above all the password ticket).

import { connect, createServer, type Server, type Socket } from 'node:net';

/** SpiceLinkHeader: magic, major, minor, size (of the link message that follows), 4 bytes each. */
const LINK_HEADER_SIZE = 16;
/** In SpiceLinkMess: connection_id (4 bytes), then channel_type (1 byte). */
const CHANNEL_TYPE_OFFSET = LINK_HEADER_SIZE + 4;

export interface RecordedConnection {
  /** Everything the client sent, in order. */
  readonly sent: Buffer;
  readonly closed: boolean;
  /** The channel type of the link message, when a whole link header and type arrived. */
  readonly channelType: number | undefined;
  /** Bytes the client sent after its link message: the auth mechanism and the ticket, if any. */
  readonly bytesAfterLinkMessage: number;
}

export interface RecordingProxy {
  readonly port: number;
  readonly connections: readonly RecordedConnection[];
  /** Resolves once every connection so far has closed (so nothing more can arrive on them). */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

class Recording implements RecordedConnection {
  private chunks: Buffer[] = [];
  closed = false;

  get sent(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get channelType(): number | undefined {
    const sent = this.sent;
    return sent.length > CHANNEL_TYPE_OFFSET ? sent[CHANNEL_TYPE_OFFSET] : undefined;
  }

  get bytesAfterLinkMessage(): number {
    const sent = this.sent;
    if (sent.length < LINK_HEADER_SIZE) return 0;
    return Math.max(0, sent.length - LINK_HEADER_SIZE - sent.readUInt32LE(12));
  }

  record(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
}

export async function startRecordingProxy(targetHost: string, targetPort: number): Promise<RecordingProxy> {
  const recordings: Recording[] = [];
  const sockets = new Set<Socket>();
  const closeWaiters = new Set<() => void>();
  const everyClosed = (): boolean => recordings.every((recording) => recording.closed);

  const server: Server = createServer((inbound) => {
    const recording = new Recording();
    recordings.push(recording);
    const outbound = connect(targetPort, targetHost);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    outbound.once('close', () => inbound.destroy());
    inbound.once('close', () => {
      outbound.destroy();
      recording.closed = true;
      if (everyClosed()) closeWaiters.forEach((wake) => wake());
    });
    inbound.on('data', (chunk: Buffer) => {
      recording.record(chunk);
      outbound.write(chunk);
    });
    outbound.pipe(inbound);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve(address.port);
      else reject(new Error('the recording proxy has no TCP address'));
    });
  });

  return {
    port,
    connections: recordings,
    allClosed: () =>
      everyClosed()
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const wake = (): void => {
              closeWaiters.delete(wake);
              resolve();
            };
            closeWaiters.add(wake);
          }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
