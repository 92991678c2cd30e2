import { connect, type Socket } from 'node:net';

import { encodeGuestRequest, GuestReplyParser, type GuestReply } from './guest-command-protocol';
import type { GuestExecOptions, GuestExecResult } from './qemu-types';

const DEFAULT_TIMEOUT_MS = 60_000;
/** The guest kills a command at its timeout; the host waits this much longer for that reply. */
const HOST_GRACE_MS = 3_000;
const KILLED_STATUS = 137;

interface Pending {
  id: number;
  resolve: (reply: GuestReply) => void;
  reject: (error: Error) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function connectUnix(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * The host end of the guest command server: QEMU exposes the virtio-serial port as a unix socket
 * (chardev socket, server=on). Commands run strictly one at a time, in call order.
 */
export class GuestCommandChannel {
  private readonly parser = new GuestReplyParser();
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private closedReason: string | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const reply of this.parser.push(chunk)) {
        if (this.pending?.id === reply.id) this.pending.resolve(reply);
      }
    });
    const closed = (reason: string) => {
      this.closedReason ??= reason;
      this.pending?.reject(new Error(`the guest command channel closed (${this.closedReason})`));
    };
    socket.on('error', (error) => closed(error.message));
    socket.on('close', () => closed('QEMU closed the socket; did the VM exit?'));
  }

  /** Connects to QEMU's socket, retrying while QEMU is still creating it. */
  static async open(path: string, timeoutMs = 10_000): Promise<GuestCommandChannel> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return new GuestCommandChannel(await connectUnix(path));
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new Error(`cannot connect to the guest command socket ${path}: ${(error as Error).message}`);
        }
        await sleep(100);
      }
    }
  }

  exec(command: string, options: GuestExecOptions = {}): Promise<GuestExecResult> {
    const run = this.queue.then(() => this.run(command, options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closedReason ??= 'closed by the host';
    this.socket.destroy();
  }

  private async run(command: string, timeoutMs: number): Promise<GuestExecResult> {
    if (this.closedReason !== undefined) {
      throw new Error(`the guest command channel is closed (${this.closedReason})`);
    }
    const id = this.nextId++;
    const started = Date.now();
    const timeoutSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const timedOut = () => new Error(`guest command timed out after ${timeoutMs} ms: ${command}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await new Promise<GuestReply>((resolve, reject) => {
        this.pending = { id, resolve, reject };
        timer = setTimeout(() => reject(timedOut()), timeoutSeconds * 1000 + HOST_GRACE_MS);
        this.socket.write(encodeGuestRequest(id, command, timeoutSeconds));
      });
      if (reply.code === KILLED_STATUS && Date.now() - started >= timeoutSeconds * 1000) throw timedOut();
      return {
        code: reply.code,
        stdout: reply.stdout.toString('utf8'),
        stderr: reply.stderr.toString('utf8'),
      };
    } finally {
      clearTimeout(timer);
      this.pending = undefined;
    }
  }
}
