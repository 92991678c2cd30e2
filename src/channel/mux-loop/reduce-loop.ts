import {
  demuxPiecesStep,
  seekingMuxDemuxState,
  type ClientId,
  type MuxPiecedFrame,
} from '../../wire/mux-frame';
import { MUX_HEADER_SIZE, MUX_MAX_PAYLOAD } from '../../wire/constants';
import { distributeCredits } from './distribute-credits';
import type { LoopLimits } from './loop-limits';
import type { Effect, LoopEvent, LoopInput, SessionKey, SessionOutput } from './loop-messages';
import { bufferedTotal, sameKey, type ClientState, type LoopState, type Serving } from './loop-state';

/** Close frames that fit one SPICE data message of the size every client sends (65,535 bytes of frames). */
const CLOSE_FRAMES_PER_WRITE = Math.floor(MUX_MAX_PAYLOAD / MUX_HEADER_SIZE);

/**
 * The select loop's reducer: one pure step from (state, input) to the next state and the effects to run.
 * Sessions are addressed by key (id + generation), so anything a finished session still says is ignored.
 */
export function reduceLoop<S>(state: LoopState<S>, input: LoopInput<S>, limits: LoopLimits): LoopState<S> {
  const step = new Step<S>(state, limits);
  switch (input.kind) {
    case 'port-opened':
      step.dropAllClients();
      step.resetDemux();
      step.portOpen = true;
      step.emit({ kind: 'port-opened' });
      break;
    case 'port-closed': {
      const dropped = step.dropAllClients();
      step.resetDemux();
      step.portOpen = false;
      step.emit({ kind: 'port-closed', droppedClients: dropped });
      break;
    }
    case 'vmc-data':
      if (step.portOpen) for (const piece of input.pieces) step.demux(piece);
      break;
    case 'frame-flushed':
      step.frameFlushed(input.key, input.frames);
      break;
    case 'tick':
      step.tick();
      break;
    case 'sharing-started':
      // Sessions opened from now on are this share's. Those of the previous share are left to its engine, which
      // the edge retires: it ends them, letting a download being sent finish first. Those of the 503 stand-in
      // end by themselves (it answers with Connection: close). Either way the session says whether it ended in
      // the middle of a request, and the guest's next request, on a new connection or the same id, is served
      // by this share; dropping them here instead would read the rest of a request as new ones.
      step.serving = { share: input.share, server: input.server };
      step.emit({ kind: 'sharing-started', share: input.share });
      break;
    case 'sharing-stopped':
      step.serving = null;
      step.emit({ kind: 'sharing-stopped', droppedClients: 0 });
      break;
    case 'session-output':
      step.sessionOutput(input.key, input.output);
      break;
    case 'session-ended':
      step.sessionEnded(input.key, input.error);
      break;
  }
  return step.finish();
}

/** A frames-delivered effect while its step still adds frames to it. */
interface OpenDelivery {
  readonly kind: 'frames-delivered';
  readonly id: ClientId;
  readonly frames: (readonly Buffer[])[];
  bytes: number;
}

/** A mutable draft of one reduction; the input state is never mutated. */
class Step<S> {
  portOpen: boolean;
  serving: Serving<S> | null;
  private demuxState: LoopState['demux'];
  private readonly clients: Map<ClientId, ClientState>;
  private nextGeneration: number;
  private waiting: ClientId[];
  private readingPaused: boolean;
  private refusedSinceTick: number;
  private lastRefusedId: ClientId;
  /** Copied on the first change only: most steps leave it as it was. */
  private discarding: ReadonlyMap<ClientId, number>;
  private discardingCopied = false;
  private readonly effects: Effect<S>[] = [];
  private readonly wantCredit: ClientId[] = [];
  /**
   * The frames-delivered effect still taking frames of its connection: until an event is emitted (a client
   * closed must not be followed by its traffic) or a frame of another connection comes.
   */
  private openDelivery: OpenDelivery | undefined;
  /** The last close-frames effect and its (still growing) list of ids. */
  private lastCloseFrames: { readonly effect: Effect<S>; readonly ids: ClientId[] } | undefined;

  constructor(
    state: LoopState<S>,
    private readonly limits: LoopLimits,
  ) {
    this.portOpen = state.portOpen;
    this.serving = state.serving;
    this.demuxState = state.demux;
    this.clients = new Map(state.clients);
    this.nextGeneration = state.nextGeneration;
    this.waiting = [...state.waiting];
    this.readingPaused = state.readingPaused;
    this.refusedSinceTick = state.refusedSinceTick;
    this.lastRefusedId = state.lastRefusedId;
    this.discarding = state.discarding;
  }

  emit(event: LoopEvent): void {
    this.openDelivery = undefined;
    this.effects.push({ kind: 'event', event });
  }

  /** A close frame to `id`, joined to the close frames just before it: order is kept, writes are fewer. */
  private closeFrame(id: ClientId): void {
    const open = this.lastCloseFrames;
    if (
      open !== undefined &&
      this.effects[this.effects.length - 1] === open.effect &&
      open.ids.length < CLOSE_FRAMES_PER_WRITE
    ) {
      open.ids.push(id);
      return;
    }
    const ids = [id];
    const effect: Effect<S> = { kind: 'close-frames', ids };
    this.effects.push(effect);
    this.lastCloseFrames = { effect, ids };
  }

  demux(data: Buffer): void {
    const { state, frames, skippedBytes } = demuxPiecesStep(this.demuxState, data);
    this.demuxState = state;
    if (skippedBytes > 0) this.emit({ kind: 'stream-resynced', skippedBytes });
    for (const frame of frames) this.guestFrame(frame);
  }

  private guestFrame(frame: MuxPiecedFrame): void {
    const { id } = frame;
    const client = this.clients.get(id);
    if (client === undefined && this.discarding.has(id)) {
      // The rest of a request we ended in its middle: never a new request. A zero frame: the guest closed it.
      if (frame.size === 0) this.mutableDiscarding().delete(id);
      else this.mutableDiscarding().set(id, 0);
      return;
    }
    if (frame.size === 0) {
      // The guest closed that connection and forgot the id; a zero frame for an unknown id is stale.
      if (client !== undefined) this.removeClient(client, 'guest', undefined, false);
      return;
    }
    if (client !== undefined) {
      this.deliver(client, frame);
      return;
    }
    if (this.clients.size >= this.limits.maxClients) {
      // Tell the guest at once instead of leaving its HTTP client hanging; tell the user once per tick.
      this.closeFrame(id);
      if (this.refusedSinceTick === 0) this.emit({ kind: 'client-refused', id, reason: this.refusal() });
      this.refusedSinceTick += 1;
      this.lastRefusedId = id;
      return;
    }
    const opened: ClientState = {
      key: { id, generation: this.nextGeneration++ },
      granted: 0,
      inFlight: 0,
      parked: false,
      streaming: false,
      buffered: 0,
      bytesIn: 0,
      bytesOut: 0,
      ticksSinceProgress: 0,
      ticksSinceTraffic: 0,
    };
    this.clients.set(id, opened);
    this.effects.push({ kind: 'open-session', key: opened.key, server: this.serving?.server ?? null });
    this.emit({ kind: 'client-opened', id });
    this.deliver(opened, frame);
    this.wantCredit.push(id);
  }

  private deliver(client: ClientState, { pieces, size }: MuxPiecedFrame): void {
    const updated: ClientState = {
      ...client,
      buffered: client.buffered + size + this.limits.heldFrameCost,
      bytesIn: client.bytesIn + size,
      ticksSinceTraffic: 0,
      // A new request on a quiet connection: the stall clock starts now, not at its last answer.
      ticksSinceProgress: client.buffered === 0 ? 0 : client.ticksSinceProgress,
    };
    const cap = this.limits.maxBufferedPerClient;
    if (updated.buffered > cap) {
      // It ignores back-pressure: holding more would make memory depend on the guest.
      this.removeClient(updated, 'limit', `holds more than ${cap} request bytes it does not consume`, true);
      this.discardFrom(updated.key.id);
      return;
    }
    this.clients.set(client.key.id, updated);
    this.effects.push({
      kind: 'to-session',
      key: client.key,
      input: { kind: 'request-data', pieces, bytes: size },
    });
    this.reportDelivered(client.key.id, pieces, size);
  }

  /** Adds a delivered frame to the open frames-delivered effect of its connection, or opens one. */
  private reportDelivered(id: ClientId, pieces: readonly Buffer[], bytes: number): void {
    const open = this.openDelivery;
    if (open !== undefined && open.id === id) {
      open.frames.push(pieces);
      open.bytes += bytes;
      return;
    }
    // The effect itself grows while the step lasts; the edge sees it only once the step is over.
    const delivery: OpenDelivery = { kind: 'frames-delivered', id, frames: [pieces], bytes };
    this.openDelivery = delivery;
    this.effects.push(delivery);
  }

  frameFlushed(key: SessionKey, frames: number): void {
    const client = this.live(key);
    // A flush for a frame we do not count as in flight is stale (or a bug at the edge): it frees no credit.
    if (client === undefined || client.inFlight === 0 || frames < 1) return;
    this.clients.set(key.id, {
      ...client,
      inFlight: client.inFlight - Math.min(frames, client.inFlight),
      ticksSinceTraffic: 0,
    });
    this.wantCredit.push(key.id);
  }

  private refusal(): string {
    return `more than ${this.limits.maxClients} open connections`;
  }

  /**
   * Time passed: report the connections refused since the last tick beyond the first, close sessions that are
   * stuck holding request bytes, and collect forgotten ones.
   */
  tick(): void {
    if (this.refusedSinceTick > 1) {
      const more = this.refusedSinceTick - 1;
      this.emit({
        kind: 'client-refused',
        id: this.lastRefusedId,
        reason: `${more} more connection${more === 1 ? '' : 's'} refused since: ${this.refusal()}`,
      });
    }
    this.refusedSinceTick = 0;
    // Quiet only counts while we read: with reading paused the guest could not have sent anything.
    if (this.discarding.size > 0 && !this.readingPaused) {
      const discarding = this.mutableDiscarding();
      for (const [id, quiet] of discarding) {
        if (quiet + 1 >= this.limits.discardQuietTicks) discarding.delete(id);
        else discarding.set(id, quiet + 1);
      }
    }
    const { stalledTicks, idleTicks } = this.limits;
    for (const client of [...this.clients.values()]) {
      const aged: ClientState = {
        ...client,
        ticksSinceProgress: client.ticksSinceProgress + 1,
        ticksSinceTraffic: client.ticksSinceTraffic + 1,
      };
      if (aged.buffered > 0 && aged.ticksSinceProgress >= stalledTicks) {
        this.removeClient(aged, 'limit', `stalled with ${aged.buffered} request bytes not consumed`, true);
        this.discardFrom(aged.key.id);
      } else if (aged.ticksSinceTraffic >= idleTicks) {
        this.removeClient(aged, 'limit', 'idle for too long', true);
      } else {
        this.clients.set(client.key.id, aged);
      }
    }
  }

  sessionOutput(key: SessionKey, output: SessionOutput): void {
    const client = this.live(key);
    if (client === undefined) return;
    switch (output.kind) {
      case 'response-data': {
        // An empty frame would mean "close" to the guest: there is nothing to send in one.
        const frames = output.frames.filter((frame) => frame.length > 0);
        if (frames.length === 0) return;
        if (frames.length > client.granted) {
          // Credits granted + frames in flight never exceed the limits: a frame without credit is a session
          // fault, and sending it would let one session make memory depend on the guest's reading.
          this.removeClient(client, 'error', 'answered without credit', true);
          return;
        }
        let bytes = 0;
        for (const frame of frames) bytes += frame.length;
        this.clients.set(key.id, {
          ...client,
          granted: client.granted - frames.length,
          inFlight: client.inFlight + frames.length,
          streaming: frames.length === client.granted,
          bytesOut: client.bytesOut + bytes,
          ticksSinceProgress: 0,
          ticksSinceTraffic: 0,
        });
        this.effects.push({ kind: 'send-frames', id: key.id, payloads: frames, key });
        break;
      }
      case 'request-consumed':
        this.clients.set(key.id, {
          ...client,
          // Said per delivered frame (webdav-mux-session.ts), joined per turn (joinConsumed): the frames' bytes
          // and their holding cost.
          buffered: Math.max(
            0,
            client.buffered - output.bytes - (output.frames ?? 1) * this.limits.heldFrameCost,
          ),
          ticksSinceProgress: 0,
          ticksSinceTraffic: 0,
        });
        break;
      case 'credits-returned':
        // Free for the sessions waiting (finish() distributes whenever some wait).
        this.clients.set(key.id, {
          ...client,
          granted: client.granted - Math.min(output.chunks, client.granted),
        });
        break;
      case 'ended-mid-request':
        // Its session completes right after: it ends here, and the rest of its request is dropped.
        this.removeClient(client, 'server', undefined, true);
        this.discardFrom(key.id);
        break;
      case 'response-waiting':
        // Said by a session that was asked for its credit back, or that never had any, once it has a response
        // and no credit. It goes first, before clients waiting for credit handed out ahead (sessions still
        // working on their answers): else credit kept going to those and sat unused, and a new connection
        // waited behind every idle one, 8 of them per step of the loop (200 connections that each sent one
        // byte held a small GET for up to 60 s: an attacker's finding, session 27). In the same step, those
        // holding credit idle are asked for it back (finish: someone starves).
        if (client.parked) this.clients.set(key.id, { ...client, parked: false });
        this.waiting = [key.id, ...this.waiting.filter((id) => id !== key.id)];
        break;
    }
  }

  sessionEnded(key: SessionKey, error: string | undefined): void {
    const client = this.live(key);
    if (client === undefined) return;
    this.removeClient(client, error === undefined ? 'server' : 'error', error, true);
  }

  /** Drops every session without telling the guest: its daemon is gone or starting again. */
  dropAllClients(): number {
    const count = this.clients.size;
    // A new daemon, or a new stream: nothing of the old connections' requests will come.
    if (this.discarding.size > 0) this.mutableDiscarding().clear();
    for (const client of [...this.clients.values()]) {
      this.removeClient(client, 'server', undefined, false);
    }
    return count;
  }

  /**
   * The stream starts again at an unknown point: a new daemon instance, or a new connection to a daemon that
   * may be in the middle of writing a frame. Nothing half-read carries over, and reading skips to a whole frame.
   */
  resetDemux(): void {
    this.demuxState = seekingMuxDemuxState;
  }

  private removeClient(
    client: ClientState,
    by: 'guest' | 'server' | 'error' | 'limit',
    error: string | undefined,
    sendZeroFrame: boolean,
  ): void {
    this.clients.delete(client.key.id);
    this.waiting = this.waiting.filter((id) => id !== client.key.id);
    this.effects.push({ kind: 'close-session', key: client.key });
    if (sendZeroFrame) this.closeFrame(client.key.id);
    this.emit({
      kind: 'client-closed',
      id: client.key.id,
      by,
      bytesIn: client.bytesIn,
      bytesOut: client.bytesOut,
      ...(error === undefined ? {} : { error }),
    });
    // Its credits are free again: others may be waiting for them.
    this.wantCredit.push(...this.waiting);
  }

  /** Mutes `id` until the guest closes it or goes quiet on it (LoopState.discarding). */
  private discardFrom(id: ClientId): void {
    const discarding = this.mutableDiscarding();
    discarding.delete(id);
    discarding.set(id, 0);
    if (discarding.size <= this.limits.maxDiscarding) return;
    const [oldest] = discarding.keys();
    if (oldest !== undefined) discarding.delete(oldest);
  }

  private mutableDiscarding(): Map<ClientId, number> {
    if (!this.discardingCopied) {
      this.discarding = new Map(this.discarding);
      this.discardingCopied = true;
    }
    return this.discarding as Map<ClientId, number>;
  }

  private live(key: SessionKey): ClientState | undefined {
    const client = this.clients.get(key.id);
    return client !== undefined && sameKey(client.key, key) ? client : undefined;
  }

  /** A session waits for credit and holds none: every credit is granted elsewhere or in flight. */
  private someoneStarves(clients: ReadonlyMap<ClientId, ClientState>): boolean {
    return this.waiting.some((id) => {
      const c = clients.get(id);
      return c !== undefined && c.granted + c.inFlight === 0;
    });
  }

  /**
   * Credits are handed out ahead, so a session can answer at once; but a keep-alive connection that finished
   * its answer keeps them, and enough idle connections would hold them all while a new one waits forever.
   * Under that pressure only, sessions holding credits with nothing in flight are asked to give them back;
   * they ask again (`response-waiting`) when they have something to send.
   */
  private revokeIdleCredits(
    clients: Map<ClientId, ClientState>,
    justGranted: ReadonlyMap<ClientId, number>,
  ): Map<ClientId, ClientState> {
    for (const c of clients.values()) {
      // One granted in this very step has not had the chance to use it.
      if (c.granted === 0 || c.inFlight > 0 || c.parked || justGranted.has(c.key.id)) continue;
      clients.set(c.key.id, { ...c, parked: true });
      this.effects.push({ kind: 'to-session', key: c.key, input: { kind: 'revoke' } });
    }
    return clients;
  }

  finish(): LoopState<S> {
    let clients: ReadonlyMap<ClientId, ClientState> = this.clients;
    if (this.wantCredit.length > 0 || this.waiting.length > 0) {
      const d = distributeCredits(this.clients, this.waiting, this.wantCredit, this.limits);
      clients = d.clients;
      this.waiting = d.waiting;
      for (const [id, chunks] of d.grants) {
        const client = d.clients.get(id);
        if (client !== undefined) {
          this.effects.push({ kind: 'to-session', key: client.key, input: { kind: 'grant', chunks } });
        }
      }
      if (this.someoneStarves(d.clients)) clients = this.revokeIdleCredits(d.clients, d.grants);
    }
    const buffered = bufferedTotal(clients);
    if (!this.readingPaused && buffered > this.limits.bufferHighWater) {
      this.readingPaused = true;
      this.effects.push({ kind: 'pause-reading' });
      this.emit({ kind: 'flow', reading: 'paused', bufferedBytes: buffered });
    } else if (this.readingPaused && buffered <= this.limits.bufferLowWater) {
      this.readingPaused = false;
      this.effects.push({ kind: 'resume-reading' });
      this.emit({ kind: 'flow', reading: 'resumed', bufferedBytes: buffered });
    }
    return {
      portOpen: this.portOpen,
      serving: this.serving,
      demux: this.demuxState,
      clients,
      nextGeneration: this.nextGeneration,
      waiting: this.waiting,
      readingPaused: this.readingPaused,
      refusedSinceTick: this.refusedSinceTick,
      lastRefusedId: this.lastRefusedId,
      discarding: this.discarding,
      effects: this.effects,
    };
  }
}
