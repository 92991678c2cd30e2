import { isIP } from 'node:net';

/** The names /etc/hosts gives the loopback address on common distributions (RFC 6761 reserves *.localhost). */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  'localhost',
  'localhost.localdomain',
  'localhost6',
  'localhost6.localdomain6',
  'ip6-localhost',
  'ip6-loopback',
]);

/**
 * Whether a Host header names the server the way a program in the guest reaches spice-webdavd: an address
 * (127.0.0.1, [::1], any IP literal), a loopback name (`localhost`, names under it, the /etc/hosts aliases),
 * or a name of one label (the guest's own host name, a Windows machine name). Absent (HTTP/1.0) counts as
 * local. Pure.
 *
 * A name with dots is refused: a web page in the guest can make its own name resolve to 127.0.0.1 (DNS
 * rebinding) and then read, write and delete the share with requests its browser sends as same-origin, under
 * that name. An address cannot be rebound. A one-label name can be answered by LLMNR or NetBIOS on the guest's
 * network, which is why requests from web pages are judged by their Origin too (isLocalOrigin).
 */
export function isLocalHostHeader(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  const name = hostName(host.trim().toLowerCase());
  if (name === undefined) return false;
  if (isIP(name) !== 0 || isLoopbackName(name)) return true;
  if (name.includes(':')) return false; // only an IPv6 address has colons (and brackets)
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return bare !== '' && !bare.includes('.');
}

/**
 * Whether an Origin header (sent by browsers, never by WebDAV clients) names a page served from this machine
 * itself: an address or a loopback name, not a one-label name that someone on the guest's network could have
 * answered for. `null` (a sandboxed or local-file page) is not.
 */
export function isLocalOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const name = url.hostname.toLowerCase();
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return isIP(bare) !== 0 || isLoopbackName(bare);
}

function isLoopbackName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return LOOPBACK_NAMES.has(bare) || bare.endsWith('.localhost') || /^\d+(\.\d+){0,3}$/.test(bare);
}

/**
 * Whether a Host header (or an absolute target's authority) is well formed (RFC 9112 §3.2, RFC 3986 §3.2.2):
 * `name[:port]` or `[v6]:port`, the name of the characters a registered name may hold. Anything else
 * (`a/b?c`, markup, spaces) is a 400 before any other check: hrefs are built from the Host a request names.
 */
export function isWellFormedHost(host: string): boolean {
  const name = hostName(host.trim().toLowerCase());
  return name !== undefined && (host.trim().startsWith('[') ? isIP(name) === 6 : REG_NAME.test(name));
}

/** RFC 3986's reg-name: unreserved, sub-delims and %-escapes (the last two are refused later as not local). */
const REG_NAME = /^[a-z0-9\-._~!$&'()*+,;=%\u0080-\u00ff]*$/;

/** The host part of `host[:port]` or `[v6]:port`, without brackets; undefined if malformed. */
function hostName(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{0,5}$/.test(rest)) return undefined;
    return host.slice(1, end);
  }
  const colon = host.lastIndexOf(':');
  if (colon < 0) return host;
  if (!/^\d{0,5}$/.test(host.slice(colon + 1))) return undefined;
  return host.slice(0, colon);
}
