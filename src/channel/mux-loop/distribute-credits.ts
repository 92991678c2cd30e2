import type { ClientId } from '../../wire/mux-frame';
import type { LoopLimits } from './loop-limits';
import type { ClientState } from './loop-state';

export interface CreditDistribution {
  readonly clients: Map<ClientId, ClientState>;
  readonly waiting: ClientId[];
  /** New grants per client, in the order they were given. */
  readonly grants: ReadonlyMap<ClientId, number>;
}

/**
 * Tops every client up to its credit (`creditsPerClient` while it streams, else `creditsAhead`), within
 * `creditsTotal`, one credit at a time in round-robin order starting with the clients that have waited longest,
 * so that a busy client cannot starve the others.
 * `candidates` are the clients that may want credit now (waiting ones are always considered first). A parked
 * client (its idle credits were revoked) gets none until it asks again.
 */
export function distributeCredits(
  clients: ReadonlyMap<ClientId, ClientState>,
  waiting: readonly ClientId[],
  candidates: readonly ClientId[],
  limits: LoopLimits,
): CreditDistribution {
  const next = new Map(clients);
  const grants = new Map<ClientId, number>();
  let inUse = 0;
  for (const c of next.values()) inUse += c.granted + c.inFlight;

  // A set, not a search of the array: up to 256 clients each waiting and a candidate.
  const order = [...new Set([...waiting, ...candidates])].filter((id) => next.has(id));

  // Counted first, one credit at a time, then applied: one new state per client granted, not one per credit.
  const wants = (id: ClientId): boolean => {
    const c = next.get(id);
    return (
      c !== undefined && !c.parked && c.granted + (grants.get(id) ?? 0) + c.inFlight < creditFor(c, limits)
    );
  };

  let progressed = true;
  while (inUse < limits.creditsTotal && progressed) {
    progressed = false;
    for (const id of order) {
      if (inUse >= limits.creditsTotal) break;
      if (!wants(id)) continue;
      grants.set(id, (grants.get(id) ?? 0) + 1);
      inUse += 1;
      progressed = true;
    }
  }
  const stillWanting = order.filter(wants);
  for (const [id, granted] of grants) {
    const c = next.get(id);
    if (c !== undefined) next.set(id, { ...c, granted: c.granted + granted });
  }
  return { clients: next, waiting: stillWanting, grants };
}

/** What a client is topped up to: a streaming one gets the full window, any other the credit handed out ahead. */
function creditFor(client: ClientState, limits: LoopLimits): number {
  return client.streaming ? limits.creditsPerClient : Math.min(limits.creditsAhead, limits.creditsPerClient);
}
