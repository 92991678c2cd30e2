import type { ClientId } from '../../wire/mux-frame';

/**
 * The typed messages of the select loop. Everything the loop reacts to is a `LoopInput`; everything it asks the
 * outside world to do is an `Effect`. The reducer between them is pure, so the whole loop runs under TestScheduler.
 *
 * `S` is whatever serves a session (the edge's WebDAV engine); the loop only carries it from the
 * `sharing-started` input to the sessions opened while it is current, so it never needs to know its type.
 */

/** One of several shared folders: the guest sees it as /NAME/. */
export interface SharedFolder {
  readonly name: string;
  readonly path: string;
  readonly readOnly: boolean;
}

/**
 * What is being shared, as reported (the loop passes it through; the edge owns the engine behind it): one
 * folder, or several named folders. The same shapes as the control socket's `share` request.
 */
export type ShareSpec =
  { readonly path: string; readonly readOnly: boolean } | { readonly shares: readonly SharedFolder[] };

/** A per-client WebDAV session is keyed by client id plus generation: an id reused after we closed is a new session. */
export interface SessionKey {
  readonly id: ClientId;
  readonly generation: number;
}

export type LoopInput<S = unknown> =
  // from the webdav channel
  | { readonly kind: 'port-opened' }
  | { readonly kind: 'port-closed' }
  /** The guest's bytes, as the pieces a SPICE message body arrived in. */
  | { readonly kind: 'vmc-data'; readonly pieces: readonly Buffer[] }
  /** Frames we sent (`frames` of them, at least 1) have been handed to the socket: their credits come back. */
  | { readonly kind: 'frame-flushed'; readonly key: SessionKey; readonly frames: number }
  /** Time passes (every LoopLimits.tickMs): the reducer itself has no clock, it counts ticks. */
  | { readonly kind: 'tick' }
  // from the user (commands, after the edge prepared the engine that serves the share)
  | { readonly kind: 'sharing-started'; readonly share: ShareSpec; readonly server: S }
  | { readonly kind: 'sharing-stopped' }
  // from the sessions (merged back in through the loop)
  | { readonly kind: 'session-output'; readonly key: SessionKey; readonly output: SessionOutput }
  | { readonly kind: 'session-ended'; readonly key: SessionKey; readonly error?: string };

/** What a session is told, in order, through its own stream (one `groupBy` group per session). */
export type SessionInput =
  /**
   * Request bytes from the guest: one mux frame's payload as the pieces it arrived in (a few views of what the
   * socket read, see MAX_PAYLOAD_PIECES), `bytes` in all.
   */
  | { readonly kind: 'request-data'; readonly pieces: readonly Buffer[]; readonly bytes: number }
  /** Permission to emit this many more response frames (the pull side of flow control). */
  | { readonly kind: 'grant'; readonly chunks: number }
  /**
   * Give back every credit not used yet (answer with `credits-returned`, even of 0), and from now on say
   * `response-waiting` before expecting a grant: the loop has run out of credit while this session held some
   * idle, and another session waits for it.
   */
  | { readonly kind: 'revoke' };

/** What a session reports. Its stream completes when the HTTP side closed the connection. */
export type SessionOutput =
  /**
   * Response frames of at most 65535 bytes each, one credit each, only ever emitted against a grant: a
   * session answers a grant of several credits with one output, so the loop handles them in one step.
   */
  | { readonly kind: 'response-data'; readonly frames: readonly Buffer[] }
  /**
   * The HTTP side took this many request bytes off the session's buffer, from `frames` delivered frames (1
   * when absent: a session says it per frame, and the loop joins those of one turn).
   */
  | { readonly kind: 'request-consumed'; readonly bytes: number; readonly frames?: number }
  /** The answer to `revoke`: the credits the session held unused, now given back. */
  | { readonly kind: 'credits-returned'; readonly chunks: number }
  /**
   * After a `revoke`, or before any grant: the session has response bytes and no credit. Said once until the
   * next grant.
   */
  | { readonly kind: 'response-waiting' }
  /**
   * Said last, just before the stream completes: the HTTP side ended the connection in the middle of a request
   * (its head or body not all received: an upload cut by a share change, a 413 sent before the body). The
   * guest's daemon keeps its connection open, so the rest of that request still comes on this id; the loop
   * drops it rather than read it as new requests.
   */
  | { readonly kind: 'ended-mid-request' };

/** Events for the user of the library or the CLI log. */
export type LoopEvent =
  | { readonly kind: 'port-opened' }
  | { readonly kind: 'port-closed'; readonly droppedClients: number }
  | { readonly kind: 'sharing-started'; readonly share: ShareSpec }
  /**
   * `droppedClients` is 0 since session 25 (kept for compatibility): no connection is dropped by the stop
   * itself. Those of the stopped share are ended by its engine (client-closed events follow), a download being
   * sent after it ends; those of the 503 stand-in end after their answer.
   */
  | { readonly kind: 'sharing-stopped'; readonly droppedClients: number }
  | { readonly kind: 'client-opened'; readonly id: ClientId }
  | {
      readonly kind: 'client-closed';
      readonly id: ClientId;
      readonly by: 'guest' | 'server' | 'error' | 'limit';
      readonly bytesIn: number;
      readonly bytesOut: number;
      readonly error?: string;
    }
  | { readonly kind: 'client-refused'; readonly id: ClientId; readonly reason: string }
  /** The guest's stream began inside a frame (the rest of one written before we connected); it was dropped. */
  | { readonly kind: 'stream-resynced'; readonly skippedBytes: number }
  | { readonly kind: 'flow'; readonly reading: 'paused' | 'resumed'; readonly bufferedBytes: number };

export type Effect<S = unknown> =
  /** Start one session, served by what was shared when it opened (null: nothing is shared). */
  | { readonly kind: 'open-session'; readonly key: SessionKey; readonly server: S | null }
  /** Route to one session (opened by `open-session` just before its first input). */
  | { readonly kind: 'to-session'; readonly key: SessionKey; readonly input: SessionInput }
  /** End one session's input stream and tear it down. */
  | { readonly kind: 'close-session'; readonly key: SessionKey }
  /**
   * Write mux frames of one session to the guest, in order: one effect per session output (a batch), so the
   * edge handles a batch in one trip. Every payload is non-empty (an empty one would close the connection).
   */
  | {
      readonly kind: 'send-frames';
      readonly id: ClientId;
      readonly payloads: readonly Buffer[];
      readonly key: SessionKey;
    }
  /**
   * Tell the guest these connections are closed: a close frame each, in order. They hold no credit, so
   * consecutive closes of one step travel together (a flood of refusals is one write per step, not one each).
   */
  | { readonly kind: 'close-frames'; readonly ids: readonly ClientId[] }
  /**
   * Guest bytes just handed to a session, frame by frame (each frame its pieces), for the edge to report as
   * traffic. Consecutive frames of one connection in one step share one effect: a guest packing thousands of
   * one-byte frames into a message made the edge report each apart.
   */
  | {
      readonly kind: 'frames-delivered';
      readonly id: ClientId;
      readonly frames: readonly (readonly Buffer[])[];
      readonly bytes: number;
    }
  /** Stop or restart reading the SPICE socket (global back-pressure towards the guest). */
  | { readonly kind: 'pause-reading' }
  | { readonly kind: 'resume-reading' }
  | { readonly kind: 'event'; readonly event: LoopEvent };
