/**
 * Our own per-connection timers. Node enforces requestTimeout/headersTimeout/keepAliveTimeout only on
 * sockets it accepted from a listening server, never on streams injected with `emit('connection')`.
 *
 * - idle: no byte in either direction for `idleTimeoutMs` (also ends a body shorter than its
 *   Content-Length, and a guest that stops reading a response);
 * - headers: a request's header block not complete `headersTimeoutMs` after its first byte arrived.
 */
export interface ConnectionTimerSettings {
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
}

export type TimeoutKind = 'idle' | 'headers';

export class ConnectionTimers {
  private readonly idle: NodeJS.Timeout;
  private headers: NodeJS.Timeout | undefined;
  private requestsInFlight = 0;
  private stopped = false;

  constructor(
    private readonly settings: ConnectionTimerSettings,
    private readonly onTimeout: (kind: TimeoutKind) => void,
  ) {
    this.idle = setTimeout(() => this.expire('idle'), settings.idleTimeoutMs);
    this.idle.unref();
  }

  /** Bytes arrived from the peer. */
  received(): void {
    this.activity();
    if (this.requestsInFlight === 0 && !this.headers && !this.stopped) {
      this.headers = setTimeout(() => this.expire('headers'), this.settings.headersTimeoutMs);
      this.headers.unref();
    }
  }

  /** Bytes moved in either direction (body consumed or response written). Bound: handed out as a callback. */
  readonly activity = (): void => {
    if (!this.stopped) this.idle.refresh();
  };

  requestStarted(): void {
    this.requestsInFlight++;
    this.clearHeaders();
    this.activity();
  }

  requestFinished(): void {
    this.requestsInFlight = Math.max(0, this.requestsInFlight - 1);
    this.activity();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idle);
    this.clearHeaders();
  }

  private clearHeaders(): void {
    if (this.headers) clearTimeout(this.headers);
    this.headers = undefined;
  }

  private expire(kind: TimeoutKind): void {
    if (this.stopped) return;
    this.stop();
    this.onTimeout(kind);
  }
}
