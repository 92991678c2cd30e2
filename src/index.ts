/**
 * spice-webdav's public API: share a host folder into a VM over SPICE.
 *
 *   import { shareFolder } from 'spice-webdav';
 *   const sub = shareFolder({ target: { kind: 'tcp', host: '127.0.0.1', port: 5900 }, share: { path: '/srv/x' } })
 *     .subscribe({ next: (e) => console.log(e.kind), error: (e) => console.error(e.message) });
 *   // later: sub.unsubscribe() closes everything.
 *   // Or into a libvirt domain by name: target: { kind: 'libvirt', uri: 'qemu:///system', domain: 'myvm', wait: true }
 *
 * See docs/api.md.
 */
export { shareFolder } from './edge/sharing/share-folder';
export type {
  SharingCommand,
  SharingEvent,
  ShareFolderOptions,
  SpiceShareOptions,
  TrafficEvent,
} from './edge/sharing/sharing-types';
export type { EngineFactory, ShareRequest } from './edge/sharing/engine-factory';
export type { ConnectionServer } from './webdav/session/webdav-mux-session';
export type { LibvirtTarget } from './edge/libvirt/libvirt-target';
export type { LibvirtEvent } from './edge/libvirt/libvirt-events';
export type { SshHop } from './edge/spice/ssh-tunnel';
export type { NamedShare } from './webdav/multi-share/share-name';
export type { SpiceTarget, SpiceTlsOptions, SpiceEndpoint } from './edge/spice/target';
export type { SecureChannels, SpiceChannelName } from './edge/spice/secure-channels';
export { SPICE_CHANNEL_NAMES, parseSecureChannels } from './edge/spice/secure-channels';
export { SpiceConnectionError, SPICE_EXIT_CODES, isSpiceConnectionError } from './edge/spice/errors';
export type { SpiceFailureReason } from './edge/spice/errors';
export { connectSpice } from './edge/spice/spice-session';
export type { SessionEvent, SpiceSessionOptions } from './edge/spice/spice-session';
export { parseTarget } from './edge/cli/parse-target';
export { DEFAULT_LOOP_LIMITS } from './channel/mux-loop/loop-limits';
export type { LoopLimits } from './channel/mux-loop/loop-limits';
export type { EngineOptions, RequestRecord } from './webdav/types';
