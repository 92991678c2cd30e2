import type { SshHop } from './ssh-tunnel';

/**
 * Where the SPICE server listens. `via`: the address is on that ssh host's side (a libvirt display on a remote
 * host's loopback); every socket then goes through `ssh HOST nc ADDRESS PORT` (ssh-tunnel.ts). `port` is the plain port (QEMU `-spice port=`), `tlsPort` the TLS one
 * (`-spice tls-port=`); at least one must be given. With both, each channel is tried on the plain port
 * first and moved to the TLS port when the server answers NEED_SECURED, like spice-gtk.
 */
export type SpiceTarget =
  | { kind: 'tcp'; host: string; port?: number; tlsPort?: number; via?: SshHop }
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
  if (endpoint.kind === 'unix') return `unix socket ${endpoint.path}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const via = endpoint.via === undefined ? '' : ` via ssh ${endpoint.via.host}`;
  return `${host}:${endpoint.port}${endpoint.secure ? ' (TLS)' : ''}${via}`;
}

/** The endpoint a channel tries first: the plain port when there is one, else the TLS port. */
export function firstEndpoint(target: SpiceTarget): SpiceEndpoint {
  if (target.kind === 'unix') return { kind: 'unix', path: target.path };
  const via = target.via === undefined ? {} : { via: target.via };
  if (target.port !== undefined)
    return { kind: 'tcp', host: target.host, port: target.port, secure: false, ...via };
  if (target.tlsPort !== undefined)
    return { kind: 'tcp', host: target.host, port: target.tlsPort, secure: true, ...via };
  throw new TypeError('A SPICE TCP target needs a port or a tlsPort.');
}

/** Where to go after a NEED_SECURED answer, or undefined when no TLS port is known. */
export function secureEndpoint(target: SpiceTarget): SpiceEndpoint | undefined {
  if (target.kind === 'unix' || target.tlsPort === undefined) return undefined;
  const via = target.via === undefined ? {} : { via: target.via };
  return { kind: 'tcp', host: target.host, port: target.tlsPort, secure: true, ...via };
}
