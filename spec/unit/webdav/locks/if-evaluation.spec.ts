import { evaluateIf, type ResourceFacts } from '../../../../src/webdav/locks/if-evaluation';
import { parseIfHeader } from '../../../../src/webdav/locks/if-header';

const LOCKED: ResourceFacts = { etag: '"e1"', lockTokens: new Set(['urn:uuid:held']) };
const UNLOCKED: ResourceFacts = { etag: '"e1"', lockTokens: new Set() };
const MISSING: ResourceFacts = { etag: undefined, lockTokens: new Set() };

function holds(header: string, facts: ResourceFacts, tagged: Record<string, ResourceFacts> = {}): boolean {
  const parsed = parseIfHeader(header);
  if (parsed.kind !== 'ok') throw new Error(`unparsable: ${header}`);
  const current = new Set(['urn:uuid:held', 'urn:uuid:elsewhere']);
  return evaluateIf(
    parsed.lists,
    (resource) => (resource === undefined ? facts : tagged[resource]),
    (token) => current.has(token),
  );
}

describe('evaluateIf (RFC 4918 §10.4)', () => {
  it.each([
    // litmus's conditional PUTs on a locked resource whose etag is "e1"
    ['(<urn:uuid:held> ["e1"])', true],
    ['(<DAV:no-lock> ["e1"])', false],
    ['(<urn:uuid:held>) (Not <DAV:no-lock>)', true],
    ['(<urn:uuid:heldx>) (Not <DAV:no-lock>)', true],
    ['(<urn:uuid:held> ["e1"]) (Not <DAV:no-lock> ["e1"])', true],
    ['(<urn:uuid:held> ["e2"]) (Not <DAV:no-lock> ["e2"])', false],
    ['(<urn:uuid:heldx>)', false],
    ['(<urn:uuid:elsewhere>)', false],
    ['(Not <urn:uuid:held>)', false],
    ['([W/"e1"])', true],
  ])('on a locked resource, %s is %s', (header, expected) => {
    expect(holds(header, LOCKED)).toBe(expected);
  });

  it.each([
    ['(<DAV:no-lock>)', false],
    ['(Not <DAV:no-lock>)', true],
    ['(<urn:uuid:elsewhere>)', false],
    // a token naming no current lock (expired, or from before a restart): as if released
    ['(<urn:uuid:1234>)', true],
    ['(["e1"])', true],
    ['(Not ["e1"])', false],
  ])('on an unlocked resource, %s is %s', (header, expected) => {
    expect(holds(header, UNLOCKED)).toBe(expected);
  });

  it('never matches an entity tag of a resource that does not exist', () => {
    expect(holds('(["e1"])', MISSING)).toBe(false);
    expect(holds('(Not ["e1"])', MISSING)).toBe(true);
  });

  it('evaluates tagged lists against their own resource, and a resource outside the share as false', () => {
    const tagged = { 'http://h/coll/': LOCKED };
    expect(holds('<http://h/coll/> (<urn:uuid:held>)', UNLOCKED, tagged)).toBe(true);
    expect(holds('<http://h/coll/> (<DAV:no-lock>)', UNLOCKED, tagged)).toBe(false);
    expect(holds('<http://elsewhere/> (Not <DAV:no-lock>)', UNLOCKED, tagged)).toBe(false);
    expect(holds('<http://elsewhere/> (Not <DAV:no-lock>) <http://h/coll/> (["e1"])', UNLOCKED, tagged)).toBe(
      true,
    );
  });
});
