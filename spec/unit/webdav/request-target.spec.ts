import fc from 'fast-check';
import { canonicalUrlPath, parseRequestTarget } from '../../../src/webdav/request-target';

describe('parseRequestTarget', () => {
  it.each([
    ['/', []],
    ['/a/b.txt', ['a', 'b.txt']],
    ['/a%20b/c', ['a b', 'c']],
    ['/a/./b/../c', ['a', 'c']],
    ['/x?query=1', ['x']],
    ['http://host:8080/a/b', ['a', 'b']],
    ['http://host', []],
    ['/%252e%252e/x', ['%2e%2e', 'x']],
    ['/a%2fb', ['a', 'b']],
    ['/a%5cb', ['a\\b']],
    ['/..%5cx', ['..\\x']],
  ])('%s → %j', (raw, segments) => {
    expect(parseRequestTarget(raw)).toMatchObject({ kind: 'inside', segments });
  });

  it.each(['/..', '/../x', '/%2e%2e/x', '/..%2fx', '/a/../../x', 'http://h/../../etc/passwd'])(
    '%s escapes',
    (raw) => {
      expect(parseRequestTarget(raw).kind).toBe('escapes');
    },
  );

  it.each(['/%zz', '/%ff%fe', '/%NETHOOD%/', '/%00', '/a%00b', '/%e', '/a#frag', 'relative/path', '*'])(
    '%s is malformed',
    (raw) => {
      expect(parseRequestTarget(raw).kind).toBe('malformed');
    },
  );

  it('says which is wrong: a broken escape, or well-formed escapes that are not UTF-8', () => {
    expect(parseRequestTarget('/%zz')).toMatchObject({ reason: 'malformed %-escape in path' });
    expect(parseRequestTarget('/%FF.txt')).toMatchObject({ reason: expect.stringContaining('not UTF-8') });
  });

  it('never yields a segment that could climb, separate or truncate', () => {
    const piece = fc.constantFrom(
      'a',
      '..',
      '.',
      '%2e',
      '%2E%2e',
      '%2f',
      '%5c',
      '\\',
      '%00',
      '%',
      '%zz',
      'é',
      '%c3%a9',
      '/',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const parsed = parseRequestTarget('/' + pieces.join(''));
        if (parsed.kind !== 'inside') return;
        for (const segment of parsed.segments) {
          expect(['', '.', '..']).not.toContain(segment);
          expect(segment).not.toMatch(/[/\0]/);
        }
      }),
    );
  });

  it('canonical paths parse back to the same segments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1 }).filter((s) => !/^\.{1,2}$|[/\\\0]/.test(s))),
        (segments) => {
          expect(parseRequestTarget(canonicalUrlPath(segments, false))).toMatchObject({
            kind: 'inside',
            segments,
          });
        },
      ),
    );
  });
});
