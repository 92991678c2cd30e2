import type { SpiceTarget } from '../spice/target';

/**
 * Where we are about to connect, with every port: `127.0.0.1:5900`, `vm:5900 (TLS port 5901)`,
 * `vm:5901 (TLS) via ssh h`, a socket path.
 */
export function describeTarget(target: SpiceTarget): string {
  if (target.kind === 'unix') return `unix socket ${target.path}`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const via = target.via === undefined ? '' : ` via ssh ${target.via.host}`;
  if (target.port === undefined) return `${host}:${target.tlsPort ?? '?'} (TLS)${via}`;
  return `${host}:${target.port}${target.tlsPort === undefined ? '' : ` (TLS port ${target.tlsPort})`}${via}`;
}
