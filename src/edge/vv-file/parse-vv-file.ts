import { parseSecureChannels } from '../spice/secure-channels';
import type { SpiceTarget } from '../spice/target';

/** What a virt-viewer connection file (`[virt-viewer]` section) tells us, with remote-viewer's meaning. */
export interface VvConnection {
  readonly target: SpiceTarget;
  readonly password: string | undefined;
  /** The CA certificate itself (PEM), from `ca=` with its `\n` escapes undone. */
  readonly caPem: string | undefined;
  readonly hostSubject: string | undefined;
  /** `delete-this-file=1`: the file holds a one-time password; remote-viewer deletes it once read. */
  readonly deleteThisFile: boolean;
}

export type VvParseResult =
  | { readonly kind: 'ok'; readonly connection: VvConnection }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Parses a .vv file (GLib key file syntax: `[group]`, `key=value`, `#` comments, `\n` `\t` `\s` `\\` escapes).
 * Only the `[virt-viewer]` section matters; keys we have no use for (title, fullscreen, proxy...) are ignored,
 * as remote-viewer ignores what it does not know.
 */
export function parseVvFile(text: string): VvParseResult {
  const section = readSection(text, 'virt-viewer');
  if (section === undefined) return fail('it has no [virt-viewer] section');
  const type = section.get('type');
  if (type === undefined) return fail('it has no type= (expected type=spice)');
  if (type !== 'spice') return fail(`type=${type} is not supported: spice-webdav only speaks SPICE`);
  const host = section.get('host');
  if (host === undefined || host === '') return fail('it has no host=');
  const port = portValue(section.get('port'));
  const tlsPort = portValue(section.get('tls-port'));
  if (port === 'invalid' || tlsPort === 'invalid')
    return fail('port= or tls-port= is not a port number (1-65535)');
  if (port === undefined && tlsPort === undefined) return fail('it names no port= and no tls-port=');
  // An empty secure-channels= is taken as absent: the safe default (TLS only when there is a TLS port).
  const secureChannelsText = section.get('secure-channels') ?? '';
  const secureChannels =
    secureChannelsText.trim() === '' ? undefined : parseSecureChannels(secureChannelsText);
  if (secureChannels?.kind === 'error') return fail(`secure-channels=: ${secureChannels.message}`);
  const deleteFlag = section.get('delete-this-file');
  return {
    kind: 'ok',
    connection: {
      target: {
        kind: 'tcp',
        host,
        ...(port === undefined ? {} : { port }),
        ...(tlsPort === undefined ? {} : { tlsPort }),
        ...(secureChannels === undefined ? {} : { secureChannels: secureChannels.value }),
      },
      password: section.get('password'),
      caPem: section.get('ca'),
      hostSubject: section.get('host-subject'),
      deleteThisFile: deleteFlag === '1' || deleteFlag === 'true',
    },
  };
}

function fail(reason: string): VvParseResult {
  return { kind: 'error', message: reason };
}

/** -1 and 0 mean "no such port" in files libvirt and oVirt write. */
function portValue(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined || value === '' || value === '-1' || value === '0') return undefined;
  if (!/^\d+$/.test(value)) return 'invalid';
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : 'invalid';
}

/** The keys of one `[name]` group; later duplicates win, as in GLib. */
export function readSection(text: string, name: string): Map<string, string> | undefined {
  let inside = false;
  let found = false;
  const values = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const group = /^\[([^\]]*)\]$/.exec(line);
    if (group !== null) {
      inside = group[1] === name;
      found ||= inside;
      continue;
    }
    if (!inside) continue;
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    values.set(line.slice(0, eq).trim(), unescapeValue(line.slice(eq + 1).trim()));
  }
  return found ? values : undefined;
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, (_all, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 's':
        return ' ';
      default:
        return c;
    }
  });
}
