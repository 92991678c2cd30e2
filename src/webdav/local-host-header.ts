import { isIP } from 'node:net';

/**
 * Whether a Host header names the server the way a program in the guest reaches spice-webdavd: an address
 * (127.0.0.1, [::1], any IP literal), `localhost` or a name under it, or a name of one label (the guest's own
 * host name, a Windows machine name). Absent (HTTP/1.0) counts as local. Pure.
 *
 * A name with dots is refused: a web page in the guest can make its own name resolve to 127.0.0.1 (DNS
 * rebinding) and then read, write and delete the share with requests its browser sends as same-origin, under
 * that name. An address cannot be rebound, and no one outside the guest decides what a one-label name means.
 */
export function isLocalHostHeader(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  const name = hostName(host.trim().toLowerCase());
  if (name === undefined) return false;
  if (isIP(name) !== 0) return true;
  if (name.includes(':')) return false; // only an IPv6 address has colons (and brackets)
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return bare === 'localhost' || bare.endsWith('.localhost') || (bare !== '' && !bare.includes('.'));
}

/** The host part of `host[:port]` or `[v6]:port`, without brackets; undefined if malformed. */
function hostName(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return host.slice(1, end);
  }
  const colon = host.lastIndexOf(':');
  if (colon < 0) return host;
  if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined;
  return host.slice(0, colon);
}
