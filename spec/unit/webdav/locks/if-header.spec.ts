import fc from 'fast-check';
import { MAX_CONDITIONS, parseIfHeader, submittedTokens } from '../../../../src/webdav/locks/if-header';

describe('parseIfHeader', () => {
  it('reads an untagged list (the form Finder sends, which crashes webdav-server 2.6.3)', () => {
    expect(parseIfHeader('(<urn:uuid:1234>)')).toEqual({
      kind: 'ok',
      lists: [
        {
          resource: undefined,
          conditions: [{ kind: 'state-token', token: 'urn:uuid:1234', negated: false }],
        },
      ],
    });
  });

  it('reads several untagged lists with Not and entity tags', () => {
    expect(parseIfHeader('(<urn:uuid:1> ["e1"]) (Not <DAV:no-lock> [W/"e2"])')).toEqual({
      kind: 'ok',
      lists: [
        {
          resource: undefined,
          conditions: [
            { kind: 'state-token', token: 'urn:uuid:1', negated: false },
            { kind: 'entity-tag', tag: '"e1"', negated: false },
          ],
        },
        {
          resource: undefined,
          conditions: [
            { kind: 'state-token', token: 'DAV:no-lock', negated: true },
            { kind: 'entity-tag', tag: 'W/"e2"', negated: false },
          ],
        },
      ],
    });
  });

  it('reads tagged lists, each applying to its resource', () => {
    const parsed = parseIfHeader('<http://h/a> (<urn:uuid:1>) (["x"]) <http://h/b> (Not ["y"])');
    expect(parsed.kind === 'ok' && parsed.lists.map((list) => list.resource)).toEqual([
      'http://h/a',
      'http://h/a',
      'http://h/b',
    ]);
  });

  it('accepts "not" in any case and spaces or tabs anywhere between tokens', () => {
    const parsed = parseIfHeader(' \t( not\t<DAV:no-lock>  )  ');
    expect(parsed).toEqual({
      kind: 'ok',
      lists: [
        { resource: undefined, conditions: [{ kind: 'state-token', token: 'DAV:no-lock', negated: true }] },
      ],
    });
  });

  it.each([
    ['', 'no condition list'],
    ['(((', 'unexpected'],
    ['()', 'an empty list'],
    ['(<urn:uuid:1>', 'unterminated list'],
    ['(<urn:uuid:1)', 'unterminated state token'],
    ['(["unterminated)', 'malformed entity tag'],
    ['([etag-without-quotes])', 'malformed entity tag'],
    ['<http://h/a>', 'no condition list'],
    ['(<urn:uuid:1>) <http://h/a> (<urn:uuid:2>)', 'a resource tag after an untagged list'],
    ['(Nothing)', 'unexpected'],
    ['(< >)', 'malformed state token'],
    ['<> (<urn:uuid:1>)', 'empty resource tag'],
    ['urn:uuid:1', 'unexpected'],
  ])('reports %j as malformed (%s)', (header, reason) => {
    const parsed = parseIfHeader(header);
    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.reason).toContain(reason);
  });

  it(`refuses more than ${MAX_CONDITIONS} conditions`, () => {
    expect(parseIfHeader('(<urn:a>)'.repeat(MAX_CONDITIONS)).kind).toBe('ok');
    expect(parseIfHeader('(<urn:a>)'.repeat(MAX_CONDITIONS + 1))).toEqual({
      kind: 'malformed',
      reason: 'too many conditions',
    });
  });

  it('never throws, whatever the header', () => {
    const alphabet = fc.constantFrom(
      '(',
      ')',
      '<',
      '>',
      '[',
      ']',
      '"',
      ' ',
      'Not ',
      'W/',
      'urn:x',
      'a',
      '\t',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        const parsed = parseIfHeader(parts.join(''));
        expect(['ok', 'malformed']).toContain(parsed.kind);
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => expect(() => parseIfHeader(text)).not.toThrow()));
  });
});

describe('submittedTokens', () => {
  it('collects every state token not under Not, across all lists', () => {
    const parsed = parseIfHeader('<http://h/a> (<urn:1> ["e"]) (Not <urn:2>) <http://h/b> (<urn:3>)');
    if (parsed.kind !== 'ok') throw new Error('expected a parse');
    expect([...submittedTokens(parsed.lists)].sort()).toEqual(['urn:1', 'urn:3']);
  });
});
