import { displayText } from '../../wire/display-text';
import type { SshHop } from './ssh-tunnel';
import { listsChannel, type SecureChannels } from './secure-channels';

/**
 * Where the SPICE server listens. `via`: the address is on that ssh host's side (a libvirt display on a remote
 * host's loopback); every socket then goes through `ssh HOST nc ADDRESS PORT` (ssh-tunnel.ts). `port` is the
 * plain port (QEMU `-spice port=`), `tlsPort` the TLS one (`-spice tls-port=`); at least one must be given.
 * `secureChannels` is the user's secure-channels list (a .vv file's `secure-channels=`, `--secure-channels`).
 * Which port each channel uses is routeChannel's rule.
 */
export type SpiceTarget =
  | {
      kind: 'tcp';
      host: string;
      port?: number;
      tlsPort?: number;
      via?: SshHop;
      secureChannels?: SecureChannels;
    }
  | { kind: 'unix'; path: string };

/**
 * TLS verification settings.
 * - `caFile`: PEM file with the CA that signed the server certificate (QEMU's `x509-dir/ca-cert.pem`).
 *   Without it the system CAs are used.
 * - `hostSubject`: the expected certificate subject, e.g. "C=XX,L=city,O=org,CN=host" (spice-gtk's
 *   `--spice-host-subject`). When given, it REPLACES the host name check: SPICE server certificates often carry
 *   no subjectAltName and a CN that is not the name we connect to. The subject must match exactly: the same
 *   attributes with the same values, in any order. When it is not given, the normal TLS host name check
 *   against the host we connect to applies (subjectAltName, or the CN when the certificate has no SAN).
 *   The chain is verified against `caFile` in both cases.
 */
export interface SpiceTlsOptions {
  caFile?: string;
  hostSubject?: string;
}

/** One concrete socket to open: the plain or the TLS port of a TCP target, or a unix socket. */
export type SpiceEndpoint =
  { kind: 'tcp'; host: string; port: number; secure: boolean; via?: SshHop } | { kind: 'unix'; path: string };

export function describeEndpoint(endpoint: SpiceEndpoint): string {
  // Host names and paths may come from a downloaded .vv file: shown escaped.
  if (endpoint.kind === 'unix') return `unix socket ${displayText(endpoint.path, 4096)}`;
  const host = endpoint.host.includes(':') ? `[${displayText(endpoint.host)}]` : displayText(endpoint.host);
  const via = endpoint.via === undefined ? '' : ` via ssh ${displayText(endpoint.via.host)}`;
  return `${host}:${endpoint.port}${endpoint.secure ? ' (TLS)' : ''}${via}`;
}

/** How one channel connects: where it links first, and where a NEED_SECURED answer there sends it. */
export type LinkRoute =
  | { kind: 'link'; endpoint: SpiceEndpoint; onNeedSecured: SpiceEndpoint | undefined }
  /** The user's secure-channels list requires TLS for this channel, and no TLS port is known. */
  | { kind: 'needs-tls-port' };

/**
 * The rule that keeps the password off the plain port (every link sends the ticket):
 * - A TLS port is known: a channel links on the TLS port only, unless the user gave a secure-channels list
 *   that leaves it out. Only such an explicitly unlisted channel tries the plain port first (if there is one)
 *   and moves to the TLS port when the server answers NEED_SECURED, as spice-gtk does for every channel.
 * - Only a plain port is known: the plain port; a channel the user's list names cannot link at all
 *   (needs-tls-port), and a NEED_SECURED answer ends in an error that asks for the TLS port.
 * - A unix socket: the socket (it never leaves the machine).
 */
export function routeChannel(target: SpiceTarget, channelType: number): LinkRoute {
  if (target.kind === 'unix') {
    return { kind: 'link', endpoint: { kind: 'unix', path: target.path }, onNeedSecured: undefined };
  }
  const via = target.via === undefined ? {} : { via: target.via };
  const tls: SpiceEndpoint | undefined =
    target.tlsPort === undefined
      ? undefined
      : { kind: 'tcp', host: target.host, port: target.tlsPort, secure: true, ...via };
  const plain: SpiceEndpoint | undefined =
    target.port === undefined
      ? undefined
      : { kind: 'tcp', host: target.host, port: target.port, secure: false, ...via };
  const listed = listsChannel(target.secureChannels, channelType);
  const mustUseTls = tls !== undefined ? target.secureChannels === undefined || listed : listed;
  if (mustUseTls) {
    return tls === undefined
      ? { kind: 'needs-tls-port' }
      : { kind: 'link', endpoint: tls, onNeedSecured: undefined };
  }
  if (plain !== undefined) return { kind: 'link', endpoint: plain, onNeedSecured: tls };
  if (tls !== undefined) return { kind: 'link', endpoint: tls, onNeedSecured: undefined };
  throw new TypeError('A SPICE TCP target needs a port or a tlsPort.');
}
