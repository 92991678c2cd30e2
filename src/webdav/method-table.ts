/**
 * What a request names, as far as which methods apply: a file, a folder, the root of a shared folder (a
 * folder that cannot be deleted, moved or copied), the virtual root that lists the folders of a multi-folder
 * share (fixed: read-only whatever the folders' modes), or a name where nothing exists yet.
 */
export type ResourceKind = 'file' | 'folder' | 'root' | 'mounts' | 'missing';

/** Which handler answers a method. */
export type Route =
  | 'options'
  | 'get'
  | 'head'
  | 'put'
  | 'propfind'
  | 'proppatch'
  | 'mkcol'
  | 'delete'
  | 'copy'
  | 'move'
  | 'lock'
  | 'unlock';

/**
 * How the handler holds the share's namespace lock: around the whole answer (shared or exclusive), only
 * around its resolve-and-act phases and never while a body streams (GET, HEAD, PUT), or not at all.
 */
export type NamespaceLockMode = 'shared' | 'exclusive' | 'phases' | 'none';

/** What the handler reads from the request body before it acts. */
export type BodyUse = 'none' | 'xml' | 'empty' | 'stream';

export interface MethodSpec {
  readonly method: string;
  readonly route: Route;
  /** The kinds of resource the method applies to; any other answers 404 (missing), 403 (a root) or 405. */
  readonly accepts: readonly ResourceKind[];
  /** True if it changes the share (files, properties or locks): refused on a read-only share. */
  readonly writes: boolean;
  readonly namespaceLock: NamespaceLockMode;
  /** 'empty': a body must be absent (MKCOL, 415) or is read within the XML limit and ignored. */
  readonly body: BodyUse;
}

const EXISTING: readonly ResourceKind[] = ['file', 'folder', 'root'];

/**
 * The one dispatch table: every method the engine answers, in the order `Allow` lists them. The read-only
 * policy, the 404/403/405 refusals before a handler runs and every `Allow` header are derived from it.
 */
// prettier-ignore
export const METHOD_TABLE: readonly MethodSpec[] = [
  { method: 'OPTIONS',   route: 'options',   accepts: [...EXISTING, 'mounts', 'missing'], writes: false, namespaceLock: 'none',      body: 'empty' },
  { method: 'GET',       route: 'get',       accepts: [...EXISTING, 'mounts'],            writes: false, namespaceLock: 'phases',    body: 'none' },
  { method: 'HEAD',      route: 'head',      accepts: [...EXISTING, 'mounts'],            writes: false, namespaceLock: 'phases',    body: 'none' },
  { method: 'PROPFIND',  route: 'propfind',  accepts: [...EXISTING, 'mounts'],            writes: false, namespaceLock: 'shared',    body: 'xml' },
  { method: 'PUT',       route: 'put',       accepts: ['file', 'missing'],                writes: true,  namespaceLock: 'phases',    body: 'stream' },
  { method: 'PROPPATCH', route: 'proppatch', accepts: EXISTING,                           writes: true,  namespaceLock: 'shared',    body: 'xml' },
  { method: 'MKCOL',     route: 'mkcol',     accepts: ['missing'],                        writes: true,  namespaceLock: 'exclusive', body: 'empty' },
  { method: 'DELETE',    route: 'delete',    accepts: ['file', 'folder'],                 writes: true,  namespaceLock: 'exclusive', body: 'empty' },
  { method: 'COPY',      route: 'copy',      accepts: ['file', 'folder'],                 writes: true,  namespaceLock: 'exclusive', body: 'empty' },
  { method: 'MOVE',      route: 'move',      accepts: ['file', 'folder'],                 writes: true,  namespaceLock: 'exclusive', body: 'empty' },
  { method: 'LOCK',      route: 'lock',      accepts: [...EXISTING, 'missing'],           writes: true,  namespaceLock: 'exclusive', body: 'xml' },
  { method: 'UNLOCK',    route: 'unlock',    accepts: EXISTING,                           writes: true,  namespaceLock: 'none',      body: 'none' },
];

const BY_METHOD: ReadonlyMap<string, MethodSpec> = new Map(METHOD_TABLE.map((spec) => [spec.method, spec]));

/** The table's row for a method (upper case), or undefined for one we do not implement. */
export function methodSpec(method: string): MethodSpec | undefined {
  return BY_METHOD.get(method);
}

/** True if the method applies to this kind of resource in this mode. */
export function isAllowed(spec: MethodSpec, kind: ResourceKind, readOnly: boolean): boolean {
  return spec.accepts.includes(kind) && !(spec.writes && (readOnly || kind === 'mounts'));
}

/** The `Allow` header of a resource: exactly the methods it accepts in its share's mode. */
export function allowHeader(kind: ResourceKind, readOnly: boolean): string {
  return METHOD_TABLE.filter((spec) => isAllowed(spec, kind, readOnly))
    .map((spec) => spec.method)
    .join(', ');
}

/** Why a known method does not apply to a resource: the status and the sentence to answer with. */
export type Refusal = { readonly status: 403 | 404 | 405; readonly message: string };

/** The refusal for a method that does not apply here (isAllowed false), said once for every handler. */
export function refusalFor(spec: MethodSpec, kind: ResourceKind, readOnly: boolean): Refusal {
  if (kind === 'mounts')
    return {
      status: 403,
      message: `The top level only lists the shared folders and cannot be changed: work inside one of them.`,
    };
  if (spec.writes && readOnly)
    return { status: 403, message: `This folder is shared read-only: ${spec.method} is not allowed.` };
  if (kind === 'missing') return { status: 404, message: 'No such file or folder in the share.' };
  if (kind === 'root' && spec.accepts.includes('folder'))
    return { status: 403, message: `${spec.method} of the shared folder itself is not allowed.` };
  const what = kind === 'file' ? 'a file' : 'a folder';
  return { status: 405, message: `${spec.method} does not apply to ${what}.` };
}
