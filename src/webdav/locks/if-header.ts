/**
 * The `If` request header of RFC 4918 §10.4, parsed. Pure, linear, bounded: a header with more than
 * MAX_CONDITIONS conditions, or anything outside the grammar (including the untagged forms that crash
 * webdav-server 2.6.3's own parser), is reported as malformed rather than guessed at.
 *
 *   If = 1*No-tag-list | 1*Tagged-list;  Tagged-list = Resource-Tag 1*List;  List = "(" 1*Condition ")"
 *   Condition = ["Not"] (State-token | "[" entity-tag "]");  State-token = "<" URI ">"
 */
export type IfCondition =
  | { readonly kind: 'state-token'; readonly token: string; readonly negated: boolean }
  | { readonly kind: 'entity-tag'; readonly tag: string; readonly negated: boolean };

export interface IfList {
  /** The tagged resource (as written, an absolute URI or path); undefined for the request URI. */
  readonly resource: string | undefined;
  readonly conditions: readonly IfCondition[];
}

export type IfHeader =
  | { readonly kind: 'ok'; readonly lists: readonly IfList[] }
  | { readonly kind: 'malformed'; readonly reason: string };

export const MAX_CONDITIONS = 64;

export function parseIfHeader(value: string): IfHeader {
  const lists: IfList[] = [];
  let tag: string | undefined;
  let tagged: boolean | undefined;
  let conditionCount = 0;
  let offset = 0;
  const malformed = (reason: string): IfHeader => ({ kind: 'malformed', reason });
  const skipSpaces = () => {
    while (offset < value.length && /[ \t]/.test(value[offset] ?? '')) offset++;
  };

  for (skipSpaces(); offset < value.length; skipSpaces()) {
    const c = value[offset];
    if (c === '<') {
      if (tagged === false) return malformed('a resource tag after an untagged list');
      const end = value.indexOf('>', offset);
      if (end === -1) return malformed('unterminated resource tag');
      tag = value.slice(offset + 1, end).trim();
      if (tag === '') return malformed('empty resource tag');
      tagged = true;
      offset = end + 1;
      continue;
    }
    if (c !== '(') return malformed(`unexpected '${c}'`);
    if (tagged === undefined) tagged = false;
    if (tagged && tag === undefined) return malformed('a list without its resource tag');
    offset++;
    const conditions: IfCondition[] = [];
    for (skipSpaces(); value[offset] !== ')'; skipSpaces()) {
      if (offset >= value.length) return malformed('unterminated list');
      if (++conditionCount > MAX_CONDITIONS) return malformed('too many conditions');
      let negated = false;
      if (/^not\b/i.test(value.slice(offset, offset + 4)) && /[\s<[]/.test(value[offset + 3] ?? '')) {
        negated = true;
        offset += 3;
        skipSpaces();
      }
      const condition = readCondition(value, offset, negated);
      if (condition.kind === 'malformed') return malformed(condition.reason);
      conditions.push(condition.condition);
      offset = condition.next;
    }
    offset++; // ')'
    if (conditions.length === 0) return malformed('an empty list');
    lists.push({ resource: tagged ? tag : undefined, conditions });
  }
  if (lists.length === 0) return malformed('no condition list');
  return { kind: 'ok', lists };
}

type ConditionRead =
  | { readonly kind: 'ok'; readonly condition: IfCondition; readonly next: number }
  | { readonly kind: 'malformed'; readonly reason: string };

function readCondition(value: string, offset: number, negated: boolean): ConditionRead {
  const c = value[offset];
  if (c === '<') {
    const end = value.indexOf('>', offset);
    if (end === -1) return { kind: 'malformed', reason: 'unterminated state token' };
    const token = value.slice(offset + 1, end).trim();
    if (token === '' || /\s/.test(token)) return { kind: 'malformed', reason: 'malformed state token' };
    return { kind: 'ok', condition: { kind: 'state-token', token, negated }, next: end + 1 };
  }
  if (c === '[') {
    const match = /^\[\s*((?:W\/)?"[^"]*")\s*\]/.exec(value.slice(offset));
    if (match === null || match[1] === undefined)
      return { kind: 'malformed', reason: 'malformed entity tag' };
    return {
      kind: 'ok',
      condition: { kind: 'entity-tag', tag: match[1], negated },
      next: offset + match[0].length,
    };
  }
  return { kind: 'malformed', reason: `unexpected '${c ?? 'end'}' in a list` };
}

/** The lock tokens a request submits: every state token its If header names without "Not". */
export function submittedTokens(lists: readonly IfList[]): ReadonlySet<string> {
  const tokens = new Set<string>();
  for (const list of lists)
    for (const condition of list.conditions)
      if (condition.kind === 'state-token' && !condition.negated) tokens.add(condition.token);
  return tokens;
}
