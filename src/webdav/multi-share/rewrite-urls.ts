import { originForm, routeRequest } from './route-request';

/** The URL prefix a share lives under in the virtual root, percent-encoded: "/My%20Docs". */
export function sharePrefix(name: string): string {
  return `/${encodeURIComponent(name)}`;
}

/**
 * An URL the share's engine wrote (an href, a Location) moved under the share's prefix: absolute URLs keep
 * their origin, absolute paths get the prefix, anything else (urn: lock tokens, relative refs) is left alone.
 */
export function prefixUrl(url: string, name: string): string {
  const prefix = sharePrefix(name);
  const absolute = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(\/.*)?$/i.exec(url);
  if (absolute !== null) return absolute[1] + prefix + (absolute[2] ?? '/');
  if (url.startsWith('/')) return prefix + url;
  return url;
}

/** Prefixes every DAV href in an XML body written by a share's engine (multistatus, lock discovery). */
export function prefixHrefsInXml(xml: string, name: string): string {
  return xml.replace(
    /(<(?:[A-Za-z_][\w.-]*:)?href(?:\s[^>]*)?>)([^<]*)(<\/(?:[A-Za-z_][\w.-]*:)?href>)/g,
    (_all, open: string, url: string, close: string) => open + prefixUrl(url.trim(), name) + close,
  );
}

/** What a Destination header (COPY/MOVE) becomes for the share's engine. */
export type DestinationRewrite =
  | { readonly kind: 'same-share'; readonly value: string }
  /** Into another share or the root: one engine cannot do it (RFC 4918 answers 502 for another server). */
  | { readonly kind: 'elsewhere' }
  | { readonly kind: 'invalid' };

/** Removes the share's prefix from a Destination URL, keeping its origin so the engine's own checks still apply. */
export function rewriteDestination(
  destination: string,
  name: string,
  shareNames: ReadonlySet<string>,
): DestinationRewrite {
  const path = originForm(destination);
  if (path === undefined) return { kind: 'invalid' };
  const route = routeRequest(destination, shareNames);
  if (route.kind === 'invalid') return { kind: 'invalid' };
  if (route.kind !== 'share' || route.name !== name) return { kind: 'elsewhere' };
  const origin = destination.slice(0, destination.length - path.length);
  return { kind: 'same-share', value: origin + route.innerTarget };
}

/**
 * Removes the share's prefix from the resource tags of an If header (`<http://host/NAME/a> (<urn:…>)`), so
 * lock tokens submitted by the guest match the resources the share's engine knows. Tags of other shares are
 * left as they are (they cannot match there).
 */
export function rewriteIfHeader(value: string, name: string, shareNames: ReadonlySet<string>): string {
  return value.replace(/<([^>]*)>/g, (whole, url: string) => {
    if (url.startsWith('urn:') || url.startsWith('opaquelocktoken:')) return whole;
    const rewritten = rewriteDestination(url, name, shareNames);
    return rewritten.kind === 'same-share' ? `<${rewritten.value}>` : whole;
  });
}
