import type { IfCondition, IfList } from './if-header';

/** What the evaluation needs to know about one resource named by the If header. */
export interface ResourceFacts {
  /** The current entity tag, undefined when the resource does not exist. */
  readonly etag: string | undefined;
  /** Tokens of the locks that cover the resource (its own, and depth-infinity locks of its ancestors). */
  readonly lockTokens: ReadonlySet<string>;
}

/** Matches no lock, ever (RFC 4918 §10.4.8); clients use it to make a list always false or, negated, true. */
export const NO_LOCK = 'DAV:no-lock';

/**
 * Evaluates an If header (RFC 4918 §10.4): true when at least one list is true, a list being true when all
 * its conditions are. Untagged lists apply to the request URI, tagged ones to their resource; a list for a
 * resource outside the share (facts undefined) is false. Pure.
 *
 * One deliberate leniency: a state token that names no current lock at all (expired, or issued before
 * spice-webdav restarted, since locks live in memory) matches a resource that is not locked, as if the lock
 * had been released; `DAV:no-lock` never matches. A client that kept a token across a restart (Finder sends
 * `If: (<token>)` on every save) keeps working, while a locked resource still demands its real token.
 */
export function evaluateIf(
  lists: readonly IfList[],
  factsOf: (resource: string | undefined) => ResourceFacts | undefined,
  isCurrentToken: (token: string) => boolean,
): boolean {
  return lists.some((list) => {
    const facts = factsOf(list.resource);
    return (
      facts !== undefined &&
      list.conditions.every((condition) => matches(condition, facts, isCurrentToken) !== condition.negated)
    );
  });
}

function matches(
  condition: IfCondition,
  facts: ResourceFacts,
  isCurrentToken: (token: string) => boolean,
): boolean {
  if (condition.kind === 'entity-tag')
    return facts.etag !== undefined && opaqueTag(facts.etag) === opaqueTag(condition.tag);
  if (facts.lockTokens.has(condition.token)) return true;
  if (condition.token === NO_LOCK || isCurrentToken(condition.token)) return false;
  return facts.lockTokens.size === 0;
}

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque part, with or without W/. */
function opaqueTag(tag: string): string {
  return tag.trim().replace(/^W\//, '');
}
