import type { SpiceTarget } from '../spice/target';

/**
 * What a libvirt target adds to the sharing events (docs/api.md):
 * - `domain-waiting`: the domain does not exist yet ('missing'), does not run ('inactive') or is being started
 *   by libvirt ('starting': not reachable yet); sharing starts when it runs (`wait`, or after a stop while following it with `reconnect`).
 * - `domain-started`: libvirt reports the domain running with a SPICE display at `target`; connecting now.
 * - `domain-stopped`: the domain stopped (shut down, destroyed, crashed); the connection to it is closed.
 * - `domain-undefined`: the domain is gone from libvirt; the Observable completes right after.
 */
export type LibvirtEvent =
  | {
      readonly kind: 'domain-waiting';
      readonly domain: string;
      readonly state: 'missing' | 'inactive' | 'starting';
    }
  | { readonly kind: 'domain-started'; readonly domain: string; readonly target: SpiceTarget }
  | { readonly kind: 'domain-stopped'; readonly domain: string }
  | { readonly kind: 'domain-undefined'; readonly domain: string };
