import type { LoopLimits } from '../../channel/mux-loop/loop-limits';
import type { LoopEvent } from '../../channel/mux-loop/loop-messages';
import type { NamedShare } from '../../webdav/multi-share/share-name';
import type { EngineOptions, RequestRecord } from '../../webdav/types';
import type { SpiceSessionOptions } from '../spice/spice-session';
import type { SpiceEndpoint, SpiceTarget } from '../spice/target';
import type { LibvirtEvent } from '../libvirt/libvirt-events';
import type { LibvirtTarget } from '../libvirt/libvirt-target';
import type { ReconnectingEvent, ReconnectOptions } from './reconnect';

/** What to share and how, whatever the target. */
interface ShareOptionsBase {
  /** Share this folder as soon as the webdav channel is ready (the CLI's --share-dir). */
  readonly share?: { readonly path: string; readonly readOnly?: boolean };
  /** Or several folders at once, as top-level folders /NAME/ of a virtual root (the CLI's --share). */
  readonly shares?: readonly NamedShare[];
  readonly limits?: Partial<LoopLimits>;
  readonly engine?: EngineOptions;
  /** Connect again after the server went away or the connection was cut (see ReconnectOptions). Default off. */
  readonly reconnect?: ReconnectOptions;
}

/** Sharing over a SPICE connection to a known address. */
export interface SpiceShareOptions extends SpiceSessionOptions, ShareOptionsBase {}

/** The API's options: a SPICE address, or a libvirt domain whose display libvirt tells us (LibvirtTarget). */
export interface ShareFolderOptions extends Omit<SpiceSessionOptions, 'target'>, ShareOptionsBase {
  readonly target: SpiceTarget | LibvirtTarget;
}

/** Commands a program (or the CLI) sends while sharing runs. */
export type SharingCommand =
  | { readonly kind: 'share'; readonly path: string; readonly readOnly?: boolean }
  /** Several folders as /NAME/ under one virtual root, each with its own read-only flag. */
  | { readonly kind: 'share-folders'; readonly shares: readonly NamedShare[] }
  | { readonly kind: 'stop' };

/**
 * Bytes of one guest connection that just moved (one mux frame). `announcedBytes` is the Content-Length of
 * the HTTP message that starts in this frame, when it starts one and says so (for progress and ETA).
 */
export interface TrafficEvent {
  readonly kind: 'traffic';
  readonly id: string;
  readonly direction: 'in' | 'out';
  readonly bytes: number;
  readonly announcedBytes?: number;
}

/**
 * Everything that happens, in order. Fatal failures (connection refused, wrong password, no webdav port,
 * kicked, server gone) are the Observable's error: a SpiceConnectionError with `reason` and `exitCode`.
 */
export type SharingEvent =
  | { readonly kind: 'connecting'; readonly target: SpiceTarget }
  | { readonly kind: 'connected'; readonly sessionId: number; readonly endpoint: SpiceEndpoint }
  | { readonly kind: 'channel-ready'; readonly endpoint: SpiceEndpoint }
  | { readonly kind: 'share-failed'; readonly path: string; readonly message: string }
  | { readonly kind: 'server-notice'; readonly message: string }
  | ({ readonly kind: 'request' } & RequestRecord)
  | ReconnectingEvent
  | LibvirtEvent
  | TrafficEvent
  | LoopEvent;
