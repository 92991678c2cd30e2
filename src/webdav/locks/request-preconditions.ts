import { promises as fsp } from 'node:fs';
import { entityTag } from '../entity-tag';
import type { Location } from '../path-confinement';
import { displayPath, parseRequestTarget } from '../request-target';
import { evaluateIf, type ResourceFacts } from './if-evaluation';
import { parseIfHeader, submittedTokens, type IfList } from './if-header';
import { davErrorXml, hrefOfPath } from './lock-xml';
import { firstUnsatisfied, locksAffected, type Change } from './lock-protection';
import type { LockTable } from './lock-table';

export interface PreconditionRequest {
  readonly method: string;
  readonly segments: readonly string[];
  /** COPY/MOVE: the destination inside the share. */
  readonly destination?: readonly string[];
  /** The raw If header, if any. */
  readonly ifHeader: string | undefined;
  /**
   * The entity tags an earlier check of this same request saw (`otherTags` of its result), judged again as
   * they were: an upload's second check, when it takes effect, must not fail on a tag of its folder that its
   * own temp file changed (a regression reviewer's finding, session 28). The request's own target is always
   * judged as it is now.
   */
  readonly earlierTags?: ReadonlyMap<string, string | undefined>;
}

export type Preconditions =
  | {
      readonly kind: 'proceed';
      /** The If header's lists (empty without one), for LOCK refresh. */
      readonly lists: readonly IfList[];
      readonly submitted: ReadonlySet<string>;
      /** The entity tags of the resources the If header names other than the request's target, as judged. */
      readonly otherTags: ReadonlyMap<string, string | undefined>;
    }
  | { readonly kind: 'failed'; readonly status: 400 | 412; readonly message: string }
  | { readonly kind: 'failed'; readonly status: 423; readonly xml: string };

export interface PreconditionContext {
  readonly locks: LockTable;
  readonly locate: (segments: readonly string[]) => Promise<Location>;
  /**
   * The share path of a real path inside the request's shared folder, undefined outside it. A link the host
   * made inside the share gives a file or folder a second path; locks are held on paths, so a change is also
   * checked under the path of what it really changes.
   */
  readonly sharePath?: (real: string) => string | undefined;
}

/**
 * The checks RFC 4918 puts before any method runs: the If header must evaluate true (else 412), and a request
 * that changes a locked resource must submit the lock's token (else 423). A malformed If header (or one over
 * its budget of conditions) is a 400 and nothing is done: until session 34 it was treated as absent, which kept
 * locked resources protected but let a client's own entity-tag condition go unchecked, its write made anyway
 * (an attacker's finding; Apache's mod_dav answers 400 too).
 */
export async function checkPreconditions(
  context: PreconditionContext,
  request: PreconditionRequest,
): Promise<Preconditions> {
  const parsed = request.ifHeader === undefined ? undefined : parseIfHeader(request.ifHeader);
  if (parsed?.kind === 'malformed')
    return {
      kind: 'failed',
      status: 400,
      message: `The If header cannot be read (${parsed.reason}); nothing was done.`,
    };
  const lists = parsed?.kind === 'ok' ? parsed.lists : [];
  const submitted = submittedTokens(lists);
  const requestPath = displayPath(request.segments);

  const otherTags = new Map<string, string | undefined>();
  if (lists.length > 0) {
    const facts = new Map<string | undefined, ResourceFacts | undefined>();
    facts.set(undefined, await factsAbout(context, request.segments));
    for (const list of lists) {
      if (list.resource === undefined || facts.has(list.resource)) continue;
      const target = parseRequestTarget(list.resource);
      if (target.kind !== 'inside') {
        facts.set(list.resource, undefined);
        continue;
      }
      const now = await factsAbout(context, target.segments);
      if (displayPath(target.segments) === requestPath) {
        facts.set(list.resource, now);
        continue;
      }
      const earlier = request.earlierTags;
      const etag = earlier?.has(list.resource) === true ? earlier.get(list.resource) : now.etag;
      otherTags.set(list.resource, etag);
      facts.set(list.resource, { ...now, etag });
    }
    const holds = evaluateIf(
      lists,
      (resource) => facts.get(resource),
      (token) => context.locks.get(token) !== undefined,
    );
    if (!holds)
      return {
        kind: 'failed',
        status: 412,
        message: 'The If header does not match the current state (lock token or entity tag) of the resource.',
      };
  }

  if (context.locks.size === 0) return { kind: 'proceed', lists, submitted, otherTags }; // nothing to protect
  const changes = await changesOf(context, request, requestPath);
  const unsatisfied = firstUnsatisfied(locksAffected(context.locks, changes), submitted);
  if (unsatisfied)
    return {
      kind: 'failed',
      status: 423,
      xml: davErrorXml('lock-token-submitted', [hrefOfPath(unsatisfied.root)]),
    };
  return { kind: 'proceed', lists, submitted, otherTags };
}

/**
 * What the request changes, under the paths it names and under the paths of what they really are: RFC 4918
 * §7 protects a locked resource whatever URL reaches it, and a PUT through the link `/inner` to `/a.txt`
 * changes `/a.txt` (it passed `/a.txt`'s lock without its token), as a MKCOL below `/dirlink/` changes the
 * folder it points to. A change of content follows the link (the file written is its target); one of
 * membership or a whole tree is the directory entry itself (removing `/dirlink` removes the link, never the
 * folder it points to).
 */
async function changesOf(
  context: PreconditionContext,
  request: PreconditionRequest,
  path: string,
): Promise<Change[]> {
  const named = await namedChanges(context, request, path);
  const { sharePath } = context;
  if (sharePath === undefined) return named;
  const real: Change[] = [];
  for (const change of named) {
    const segments = change.path === path ? request.segments : request.destination;
    if (segments === undefined) continue;
    const location = await context.locate(segments);
    if (location.kind !== 'inside') continue;
    const realPath = sharePath(change.kind === 'resource' ? location.real : location.entry);
    if (realPath !== undefined && realPath !== change.path) real.push({ ...change, path: realPath });
  }
  return [...named, ...real];
}

async function namedChanges(
  context: PreconditionContext,
  request: PreconditionRequest,
  path: string,
): Promise<Change[]> {
  const destination = request.destination === undefined ? undefined : displayPath(request.destination);
  switch (request.method) {
    case 'PUT':
    case 'LOCK': {
      const location = await context.locate(request.segments);
      const exists = location.kind === 'inside' && location.exists;
      if (request.method === 'LOCK' && exists) return [];
      return [{ kind: exists ? 'resource' : 'membership', path }];
    }
    case 'PROPPATCH':
      return [{ kind: 'resource', path }];
    case 'MKCOL':
      return [{ kind: 'membership', path }];
    case 'DELETE':
      return [{ kind: 'tree', path }];
    case 'MOVE':
      return destination === undefined
        ? [{ kind: 'tree', path }]
        : [
            { kind: 'tree', path },
            { kind: 'tree', path: destination },
          ];
    case 'COPY':
      return destination === undefined ? [] : [{ kind: 'tree', path: destination }];
    default:
      return [];
  }
}

/** The resource's entity tag and the tokens of the locks on it, under its own path and its real one. */
async function factsAbout(context: PreconditionContext, segments: readonly string[]): Promise<ResourceFacts> {
  const paths = [displayPath(segments)];
  const location =
    context.sharePath === undefined ? undefined : await context.locate(segments).catch(() => undefined);
  const realPath = location?.kind === 'inside' ? context.sharePath?.(location.real) : undefined;
  if (realPath !== undefined && realPath !== paths[0]) paths.push(realPath);
  const lockTokens = new Set(paths.flatMap((path) => context.locks.covering(path)).map((lock) => lock.token));
  return { etag: await currentEtag(context, segments), lockTokens };
}

async function currentEtag(
  context: PreconditionContext,
  segments: readonly string[],
): Promise<string | undefined> {
  try {
    const location = await context.locate(segments);
    if (location.kind !== 'inside' || !location.exists) return undefined;
    return entityTag(await fsp.stat(location.real));
  } catch {
    return undefined;
  }
}
