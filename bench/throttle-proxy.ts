// A TCP proxy for the benchmark's slow link: between a SPICE client and QEMU, every byte in each direction
// crosses a link of limited rate (default 50 Mbit/s) and fixed one-way delay (default 20 ms), shared by all
// the connections (main and webdav channels), as a real network path would be. The queue in front of each
// direction is bounded: when it is full the proxy stops reading the sending sockets, so a fast sender feels
// TCP back-pressure instead of growing the proxy's memory. The pacing itself is link-pacer.ts.

import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  admitChunk,
  IDLE_LINK,
  linkShape,
  segmentDelivered,
  type LinkShape,
  type PacerState,
} from './link-pacer';

export interface ThrottleOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Default 50. */
  readonly mbitPerSecond?: number;
  /** One-way delay in ms; default 20. */
  readonly delayMs?: number;
  /** Bytes queued per direction before the senders are paused; default 256 KiB (twice the link's BDP). */
  readonly queueLimitBytes?: number;
}

export interface ThrottleProxy {
  /** The port on 127.0.0.1 to connect the client to. */
  readonly port: number;
  /** The most bytes either direction held at once (accepted from a sender, not yet delivered). */
  maxQueuedBytes(): number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

type Entry =
  | { kind: 'data'; to: net.Socket; data: Buffer; deliverAtMs: number }
  | { kind: 'end'; to: net.Socket; deliverAtMs: number };

/** One direction of the link: a FIFO of segments in arrival order, delivered by one timer. */
class Direction {
  private state: PacerState = IDLE_LINK;
  private readonly queue: Entry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private readonly sources = new Set<net.Socket>();
  maxQueuedBytes = 0;

  constructor(private readonly shape: LinkShape) {}

  addSource(socket: net.Socket): void {
    this.sources.add(socket);
    socket.once('close', () => this.sources.delete(socket));
    if (this.state.sourcePaused) socket.pause();
  }

  send(to: net.Socket, data: Buffer): void {
    const admitted = admitChunk(this.state, this.shape, performance.now(), data.length);
    this.state = admitted.state;
    this.maxQueuedBytes = Math.max(this.maxQueuedBytes, this.state.queuedBytes);
    for (const segment of admitted.segments) {
      this.queue.push({
        kind: 'data',
        to,
        data: data.subarray(segment.offset, segment.offset + segment.bytes),
        deliverAtMs: segment.deliverAtMs,
      });
    }
    if (admitted.pause) for (const source of this.sources) source.pause();
    this.schedule();
  }

  /** The source ended: end the destination once everything before it has arrived. */
  end(to: net.Socket): void {
    const lastArrival = Math.max(performance.now(), this.state.linkFreeAtMs) + this.shape.delayMs;
    this.queue.push({ kind: 'end', to, deliverAtMs: lastArrival });
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.head = 0;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waitingForDrain) return;
    const next = this.queue[this.head];
    if (next === undefined) return;
    this.timer = setTimeout(() => this.deliver(), Math.max(0, next.deliverAtMs - performance.now()));
  }

  private deliver(): void {
    this.timer = undefined;
    const now = performance.now();
    for (let entry = this.queue[this.head]; entry !== undefined && entry.deliverAtMs <= now;) {
      if (entry.to.writableNeedDrain && !entry.to.destroyed) {
        // The receiver is not reading: hold the link (its queue stays full, so the senders stay paused).
        this.waitingForDrain = true;
        entry.to.once('drain', () => {
          this.waitingForDrain = false;
          this.deliver();
        });
        return;
      }
      this.head++;
      if (entry.kind === 'end') {
        entry.to.end();
      } else {
        if (!entry.to.destroyed) entry.to.write(entry.data);
        const delivered = segmentDelivered(this.state, this.shape, entry.data.length);
        this.state = delivered.state;
        if (delivered.resume) for (const source of this.sources) source.resume();
      }
      entry = this.queue[this.head];
    }
    if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  }
}

export async function startThrottleProxy(options: ThrottleOptions): Promise<ThrottleProxy> {
  const shape = linkShape(
    options.mbitPerSecond ?? 50,
    options.delayMs ?? 20,
    options.queueLimitBytes ?? 256 * 1024,
  );
  const upstream = new Direction(shape);
  const downstream = new Direction(shape);
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const listener = net.createServer((client) => {
    const qemu = net.connect({ host: options.targetHost, port: options.targetPort });
    for (const socket of [client, qemu]) {
      track(socket);
      socket.setNoDelay(true);
    }
    upstream.addSource(client);
    downstream.addSource(qemu);
    client.on('data', (data: Buffer) => upstream.send(qemu, data));
    qemu.on('data', (data: Buffer) => downstream.send(client, data));
    client.on('end', () => upstream.end(qemu));
    qemu.on('end', () => downstream.end(client));
    client.once('close', () => qemu.destroy());
    qemu.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve());
  });
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('throttle proxy: no TCP port');
  return {
    port: address.port,
    maxQueuedBytes: () => Math.max(upstream.maxQueuedBytes, downstream.maxQueuedBytes),
    close: async () => {
      upstream.stop();
      downstream.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
