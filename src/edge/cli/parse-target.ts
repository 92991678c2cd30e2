import type { SpiceTarget } from '../spice/target';
import { UsageError } from './usage-error';

/**
 * Where to connect, from what a user types. Accepts what remote-viewer accepts for SPICE:
 *   HOST:PORT (--direct), [IPv6]:PORT,
 *   spice://HOST:PORT, spice://HOST?port=P&tls-port=T, spice://HOST:PORT?tls-port=T,
 *   spice+tls://HOST:TLSPORT, spice+unix:///path/to/socket
 */
export function parseTarget(text: string, extraTlsPort?: number): SpiceTarget {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('The SPICE address is empty: give HOST:PORT or a spice:// URI.');
  if (trimmed.startsWith('spice+unix://')) {
    const rest = trimmed.slice('spice+unix://'.length);
    if (/[?#]/.test(rest))
      throw new UsageError(
        `"${text}": a spice+unix:// URI takes no parameters; write a ? or # that is part of the path as %3F or %23.`,
      );
    const path = decodeUnixPath(rest, text);
    if (!path.startsWith('/')) {
      throw new UsageError(`"${text}" names no absolute socket path: write spice+unix:///path/to/socket.`);
    }
    if (extraTlsPort !== undefined) throw new UsageError('--tls-port does not apply to a unix socket.');
    return { kind: 'unix', path };
  }
  if (/^spice(\+tls)?:\/\//i.test(trimmed)) return parseSpiceUri(trimmed, extraTlsPort);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new UsageError(`"${text}" is not a SPICE address: use spice://, spice+tls:// or spice+unix://.`);
  }
  const { host, port } = splitHostPort(trimmed, text);
  if (port === undefined) {
    // A path where the address goes: the folder was meant for --share-dir.
    const folderHint = /[/~]|^\./.test(trimmed)
      ? ` To share the folder ${text}, give it with --share-dir.`
      : '';
    throw new UsageError(`"${text}" has no port: write HOST:PORT, e.g. 127.0.0.1:5900.${folderHint}`);
  }
  return withTlsPort({ kind: 'tcp', host, port }, extraTlsPort);
}

function parseSpiceUri(text: string, extraTlsPort: number | undefined): SpiceTarget {
  let url: URL;
  try {
    // URL only knows the ports of special schemes; parse as http to get host and port checked for us.
    url = new URL(text.replace(/^spice(\+tls)?:/i, 'http:'));
  } catch {
    throw new UsageError(`"${text}" is not a valid spice:// URI.`);
  }
  const tlsOnly = /^spice\+tls:/i.test(text);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '')
    throw new UsageError(`"${text}" names no host: write spice://HOST:PORT, e.g. spice://127.0.0.1:5900.`);
  if (url.username !== '' || url.password !== '')
    throw new UsageError(
      `"${text}": SPICE uses no user name, and a password in the URI would be visible to every user in \`ps\`: ` +
        'remove the "user:password@" part and use --password-file FILE or SPICE_PASSWORD.',
    );
  if ((url.pathname !== '' && url.pathname !== '/') || url.hash !== '')
    throw new UsageError(`"${text}": a spice:// URI has no path or #fragment; write spice://HOST:PORT.`);
  for (const key of ['port', 'tls-port'])
    if (url.searchParams.getAll(key).length > 1)
      throw new UsageError(`"${text}" gives ${key}= more than once: give it once.`);
  const pathPort = url.port === '' ? undefined : parsePort(url.port, text);
  const queryPort = optionalPort(url.searchParams.get('port'), text);
  const queryTlsPort = optionalPort(url.searchParams.get('tls-port'), text);
  for (const key of url.searchParams.keys()) {
    if (key !== 'port' && key !== 'tls-port' && key !== 'password') {
      throw new UsageError(`"${text}": unknown URI parameter "${key}" (known: port, tls-port).`);
    }
  }
  if (url.searchParams.has('password')) {
    throw new UsageError(
      'A password in the URI would be visible to every user in `ps`: use --password-file FILE or SPICE_PASSWORD.',
    );
  }
  if (pathPort !== undefined && queryPort !== undefined && pathPort !== queryPort)
    throw new UsageError(`"${text}" gives two ports (:${pathPort} and port=${queryPort}): give one.`);
  const port = tlsOnly ? undefined : (pathPort ?? queryPort);
  const tlsPort = tlsOnly ? (pathPort ?? queryTlsPort) : queryTlsPort;
  if (port === undefined && tlsPort === undefined) {
    throw new UsageError(
      tlsOnly
        ? `"${text}" has no port: write spice+tls://HOST:TLSPORT, e.g. spice+tls://${url.host}:5901.`
        : `"${text}" has no port: write spice://HOST:PORT or add ?tls-port=N.`,
    );
  }
  return withTlsPort({ kind: 'tcp', host, port, tlsPort }, extraTlsPort);
}

function withTlsPort(target: Extract<SpiceTarget, { kind: 'tcp' }>, extra: number | undefined): SpiceTarget {
  if (extra === undefined) return target;
  if (target.tlsPort !== undefined && target.tlsPort !== extra) {
    throw new UsageError(`Two different TLS ports given (${target.tlsPort} and --tls-port ${extra}).`);
  }
  return { ...target, tlsPort: extra };
}

function splitHostPort(text: string, original: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    return {
      host: bracketed[1],
      port: bracketed[2] === undefined ? undefined : parsePort(bracketed[2], original),
    };
  }
  const parts = text.split(':');
  if (parts.length > 2) {
    throw new UsageError(`"${original}": write an IPv6 address in brackets, e.g. [::1]:5900.`);
  }
  const [host, port] = parts;
  if (host === '')
    throw new UsageError(`"${original}" names no host: write HOST:PORT, e.g. 127.0.0.1${original}.`);
  return { host, port: port === undefined ? undefined : parsePort(port, original) };
}

function optionalPort(value: string | null, original: string): number | undefined {
  return value === null ? undefined : parsePort(value, original);
}

export function parsePort(value: string, original: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`"${original}": "${value}" is not a port number.`);
  const port = Number(value);
  if (port < 1 || port > 65535) throw new UsageError(`"${original}": port ${port} is outside 1-65535.`);
  return port;
}

/** A spice+unix path's %-escapes decoded; a malformed one is a usage error, not a crash. */
function decodeUnixPath(encoded: string, original: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new UsageError(`"${original}": a % in the socket path starts no %-escape; write a % as %25.`);
  }
}
