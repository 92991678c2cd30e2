import { displayText } from '../../wire/display-text';
import { SpiceConnectionError, isSpiceConnectionError } from '../spice/errors';
import { parseDomainXml, type DomainDescription } from './domain-xml';
import { runVirsh, VirshFailure, type VirshOptions } from './virsh';

/** A domain as libvirt knows it right now. */
export type DomainState =
  | { readonly kind: 'running'; readonly domain: DomainDescription }
  | { readonly kind: 'inactive'; readonly domain: DomainDescription }
  /** Being started by libvirt: not reachable yet. */
  | { readonly kind: 'starting'; readonly domain: DomainDescription }
  | { readonly kind: 'missing' };

/** Bounds the "domains that exist" list in an error message. */
const MAX_LISTED_DOMAINS = 20;

/**
 * Asks libvirt for DOMAIN (a name, id or UUID) with its display password (`dumpxml --security-info`: the
 * password comes back on virsh's stdout, never on a command line). A domain libvirt does not know is
 * 'missing'; libvirt being unreachable or refusing us is a SpiceConnectionError ('libvirt').
 */
export async function lookupDomain(domain: string, options: VirshOptions): Promise<DomainState> {
  let xml: string;
  try {
    xml = await runVirsh(['dumpxml', '--security-info', '--', domain], options);
  } catch (error) {
    if (error instanceof VirshFailure && isNoSuchDomain(error.stderr)) return { kind: 'missing' };
    throw libvirtError(error, options.uri);
  }
  let description: DomainDescription;
  try {
    description = parseDomainXml(xml);
  } catch (error) {
    throw new SpiceConnectionError(
      'libvirt',
      `virsh dumpxml ${domain} printed something that is not a domain's XML (${(error as Error).message}).`,
      { cause: error },
    );
  }
  if (description.id === undefined) return { kind: 'inactive', domain: description };
  // libvirt gives a starting domain its id and port before QEMU listens and has its SPICE password: a
  // connection then is refused or denied. The state says so ("paused (starting up)"); its Started event follows.
  let state: string;
  try {
    state = await runVirsh(['domstate', '--reason', '--', domain], options);
  } catch (error) {
    if (error instanceof VirshFailure && isNoSuchDomain(error.stderr)) return { kind: 'missing' };
    throw libvirtError(error, options.uri);
  }
  if (/starting up/i.test(state)) return { kind: 'starting', domain: description };
  if (/^\s*(shut off|crashed)/i.test(state)) return { kind: 'inactive', domain: description };
  return { kind: 'running', domain: description };
}

/** The names of every domain libvirt knows (running or not), for "no such domain" errors. */
export async function listDomainNames(options: VirshOptions): Promise<string[]> {
  try {
    const output = await runVirsh(['list', '--all', '--name'], options);
    return output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  } catch (error) {
    throw libvirtError(error, options.uri);
  }
}

/** The error for a domain that does not exist, naming the ones that do. */
export async function noSuchDomainError(
  domain: string,
  options: VirshOptions,
): Promise<SpiceConnectionError> {
  const names = await listDomainNames(options);
  const where = options.uri === undefined ? 'libvirt' : options.uri;
  const shown =
    names
      .slice(0, MAX_LISTED_DOMAINS)
      .map((name) => displayText(name))
      .join(', ') + (names.length > MAX_LISTED_DOMAINS ? ', ...' : '');
  return new SpiceConnectionError(
    'no-domain',
    names.length === 0
      ? `No domain "${domain}" on ${where}, and no domain at all there: check the URI (-c), e.g. qemu:///system rather than qemu:///session, or pass --wait to wait for it.`
      : `No domain "${domain}" on ${where}. Domains there: ${shown}. Give a name, id or UUID from \`virsh list --all\`, or pass --wait to wait for it.`,
  );
}

export function notRunningError(
  domain: DomainDescription,
  uri: string | undefined,
  starting = false,
): SpiceConnectionError {
  const connect = uri === undefined ? '' : ` -c ${uri}`;
  return new SpiceConnectionError(
    'no-domain',
    starting
      ? `Domain "${domain.name}" is still starting: try again in a moment, or pass --wait to wait until it runs.`
      : `Domain "${domain.name}" is not running: start it (virsh${connect} start ${domain.name}) or pass --wait to wait until it runs.`,
  );
}

function isNoSuchDomain(stderr: string): boolean {
  return /failed to get domain|Domain not found|no domain with matching/i.test(stderr);
}

/** Turns what virsh said into an error that names the URI and what to check. */
export function libvirtError(error: unknown, uri: string | undefined): SpiceConnectionError {
  if (isSpiceConnectionError(error)) return error;
  // virsh's stderr may carry what a remote host said: printed escaped and bounded.
  const detail = displayText(
    error instanceof Error
      ? error.message.replace(/^error: /gm, '').replace(/\s*\n\s*/g, '; ')
      : String(error),
  );
  const where = uri === undefined ? "libvirt's default URI" : uri;
  if (/permission denied|authentication (failed|unavailable)|access denied|not authorized/i.test(detail)) {
    return new SpiceConnectionError(
      'libvirt',
      `libvirt at ${where} refused access (${detail}): run as a user allowed to manage VMs (root, or a member of the libvirt group for qemu:///system), or use qemu:///session for your own VMs.`,
      { cause: error },
    );
  }
  if (/failed to connect to the hypervisor|cannot recv data|no connection driver/i.test(detail)) {
    return new SpiceConnectionError(
      'libvirt',
      `Cannot connect to libvirt at ${where} (${detail}): check that libvirtd (or virtqemud) runs there, that the URI is right (-c qemu:///system, qemu+ssh://user@host/system) and, for ssh, that \`ssh user@host\` works without a prompt.`,
      { cause: error },
    );
  }
  return new SpiceConnectionError('libvirt', `libvirt at ${where} failed: ${detail}.`, { cause: error });
}
