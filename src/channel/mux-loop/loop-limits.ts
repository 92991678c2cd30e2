/**
 * Bounds that keep memory flat whatever the guest does or the file size (issue: flow control).
 *
 * Response side (host → guest): a session emits a chunk only against a credit; a credit is held from the grant
 * until the frame has been handed to the SPICE socket. So at most `creditsPerClient` frames per client, and at
 * most `creditsTotal` frames across clients, exist at once.
 *
 * Request side (guest → host): bytes handed to a session but not yet taken by its HTTP parser are counted, with
 * `heldFrameCost` per frame; the SPICE socket is paused above `bufferHighWater` and resumed below
 * `bufferLowWater`. A session that is not consuming therefore only holds up its own data until the global cap
 * is reached.
 */
export interface LoopLimits {
  /** Credit of a session that is streaming: its last answer used every credit it had (a download). */
  readonly creditsPerClient: number;
  /**
   * Credit handed out ahead to any other session, so a short answer leaves at once. Smaller than
   * `creditsPerClient`, so that a few keep-alive connections do not hold the whole `creditsTotal` idle (which
   * would make every new answer wait for the revocation of theirs); at most `creditsPerClient`.
   */
  readonly creditsAhead: number;
  readonly creditsTotal: number;
  readonly bufferHighWater: number;
  readonly bufferLowWater: number;
  readonly maxClients: number;
  /**
   * Unconsumed request bytes one session may hold. Reading pauses globally long before a healthy session gets
   * there, so only a session that ignores back-pressure reaches it; it is closed ('limit'). Default 8 MiB.
   */
  readonly maxBufferedPerClient: number;
  /**
   * What holding one delivered frame costs besides its payload, in bytes, counted in every session's buffered
   * bytes (so in `bufferHighWater` and `maxBufferedPerClient`) until the frame is consumed: the objects that
   * carry it to the HTTP parser take about 260 bytes of heap whatever its size (measured, session 13). A guest
   * that sends frames of one byte would otherwise have the 4 MiB high water hold 4 million of them, about
   * 1 GB, before reading paused. Default 512.
   */
  readonly heldFrameCost: number;
  /**
   * Ticks a session may hold unconsumed request bytes while making no progress at all (nothing consumed,
   * nothing answered) before it is closed ('limit'): one stuck session must not keep the socket paused for
   * everyone. Default 12 (a minute at the default tick).
   */
  readonly stalledTicks: number;
  /**
   * Ticks without any traffic after which a session is collected ('limit'). spice-webdavd can drop a client
   * without a zero frame (a failed guest socket read) and reuse its id later. Default 132 (11 minutes at the
   * default tick, after the engine's own 10-minute idle timer).
   */
  readonly idleTicks: number;
  /**
   * Ticks an id whose session we ended in the middle of a request stays muted once the guest stops sending on
   * it (LoopState.discarding): long enough for the rest of an upload that was still arriving, short enough that
   * an id the daemon reuses without a zero frame is served again soon. Default 3 (10 to 15 s).
   */
  readonly discardQuietTicks: number;
  /** Most ids muted at once (the oldest is forgotten first). Default 256. */
  readonly maxDiscarding: number;
  /** How often the edge feeds the loop a `tick` input, in ms. Default 5000. */
  readonly tickMs: number;
}

export const DEFAULT_LOOP_LIMITS: LoopLimits = {
  // 48 frames: a GET's file read (48 × 65535 bytes, webdav/file-response.ts) leaves in one batch, one loop step
  // and one writev (4 until session 8, 8 in session 8, 32 from session 9 to 33; docs/performance.md "Reads of
  // 3 MiB (session 34)"). Two clients at full speed use the whole of `creditsTotal`; more share it round-robin.
  creditsPerClient: 48,
  // 8 ahead: eight keep-alive connections with short answers hold 64 before any is asked to give some back.
  creditsAhead: 8,
  // 80 frames (5 MiB): one download's 48 even while four other connections hold their 8 ahead, so its read
  // does not go out in two batches for want of credit.
  creditsTotal: 80,
  bufferHighWater: 4 * 1024 * 1024,
  bufferLowWater: 1024 * 1024,
  maxClients: 256,
  maxBufferedPerClient: 8 * 1024 * 1024,
  heldFrameCost: 512,
  stalledTicks: 12,
  idleTicks: 132,
  discardQuietTicks: 3,
  maxDiscarding: 256,
  tickMs: 5000,
};

/** The limits a loop runs with: the defaults, overridden by whatever the caller set. Resolved once, at the edge. */
export function resolveLoopLimits(overrides: Partial<LoopLimits> = {}): LoopLimits {
  const given = Object.entries(overrides).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_LOOP_LIMITS, ...Object.fromEntries(given) };
}
