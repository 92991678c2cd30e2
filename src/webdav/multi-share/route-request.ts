/** Where one request of the virtual root goes. */
export type ShareRoute =
  /** The virtual root itself ("/"). */
  | { readonly kind: 'root' }
  /** Inside one share: `innerTarget` is the request target as that share's engine must see it (still encoded). */
  | { readonly kind: 'share'; readonly name: string; readonly innerTarget: string }
  /** A top-level name that is no share. */
  | { readonly kind: 'unknown'; readonly name: string }
  /** A target we cannot read (bad percent-encoding, not a path). */
  | { readonly kind: 'invalid' };

/**
 * Splits a request target (origin-form "/a/b?q" or absolute-form "http://host/a/b") into the share it names
 * and the rest. The rest keeps its percent-encoding: the share's engine decodes and confines it itself.
 */
export function routeRequest(target: string, shareNames: ReadonlySet<string>): ShareRoute {
  const pathAndQuery = originForm(target);
  if (pathAndQuery === undefined) return { kind: 'invalid' };
  const queryAt = pathAndQuery.indexOf('?');
  const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  const query = queryAt === -1 ? '' : pathAndQuery.slice(queryAt);
  const withoutLeading = path.replace(/^\/+/, '');
  if (withoutLeading === '') return { kind: 'root' };
  const slash = withoutLeading.indexOf('/');
  const rawName = slash === -1 ? withoutLeading : withoutLeading.slice(0, slash);
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    return { kind: 'invalid' };
  }
  if (!shareNames.has(name)) return { kind: 'unknown', name };
  const rest = slash === -1 ? '/' : withoutLeading.slice(slash);
  return { kind: 'share', name, innerTarget: rest + query };
}

/** "/a/b?q" for either form of request target, or undefined when the target is neither. */
export function originForm(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(target);
  if (absolute === null) return undefined;
  const rest = absolute[1];
  return rest === '' ? '/' : rest.startsWith('/') ? rest : undefined;
}
