/**
 * Bounds that keep memory flat whatever the guest does or the file size (issue: flow control).
 *
 * Response side (host → guest): a session emits a chunk only against a credit; a credit is held from the grant
 * until the frame has been handed to the SPICE socket. So at most `creditsPerClient` frames per client, and at
 * most `creditsTotal` frames across clients, exist at once.
 *
 * Request side (guest → host): bytes handed to a session but not yet taken by its HTTP parser are counted; the
 * SPICE socket is paused above `bufferHighWater` and resumed below `bufferLowWater`. A session that is not
 * consuming therefore only holds up its own data until the global cap is reached.
 */
export interface LoopLimits {
  readonly creditsPerClient: number;
  readonly creditsTotal: number;
  readonly bufferHighWater: number;
  readonly bufferLowWater: number;
  readonly maxClients: number;
}

export const DEFAULT_LOOP_LIMITS: LoopLimits = {
  creditsPerClient: 4,
  creditsTotal: 64,
  bufferHighWater: 4 * 1024 * 1024,
  bufferLowWater: 1024 * 1024,
  maxClients: 256,
};
