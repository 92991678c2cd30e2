import { routeRequest } from '../../../../src/webdav/multi-share/route-request';
import {
  prefixHrefsInXml,
  prefixUrl,
  rewriteDestination,
  rewriteIfHeader,
} from '../../../../src/webdav/multi-share/rewrite-urls';

const names = new Set(['docs', 'my share']);

describe('routing and URL rewriting of the virtual root', () => {
  it.each([
    ['/', { kind: 'root' }],
    ['//', { kind: 'root' }],
    ['http://h:80', { kind: 'root' }],
    ['/docs', { kind: 'share', name: 'docs', innerTarget: '/' }],
    ['/docs/a%20b.txt?x=1', { kind: 'share', name: 'docs', innerTarget: '/a%20b.txt?x=1' }],
    ['http://h/my%20share/x', { kind: 'share', name: 'my share', innerTarget: '/x' }],
    ['/other/x', { kind: 'unknown', name: 'other' }],
    ['/%E0%A4%A/x', { kind: 'invalid' }],
    ['*', { kind: 'invalid' }],
  ])('routes %s', (target, expected) => {
    expect(routeRequest(target, names)).toEqual(expected);
  });

  it('puts the prefix into URLs and hrefs, leaving lock tokens alone', () => {
    expect(prefixUrl('http://g:80/a/b', 'my share')).toBe('http://g:80/my%20share/a/b');
    expect(prefixUrl('http://g:80', 'docs')).toBe('http://g:80/docs/');
    expect(prefixUrl('/a', 'docs')).toBe('/docs/a');
    expect(prefixUrl('urn:uuid:1', 'docs')).toBe('urn:uuid:1');
    expect(
      prefixHrefsInXml('<D:href>http://g/</D:href><href>/x</href><D:href>urn:uuid:2</D:href>', 'docs'),
    ).toBe('<D:href>http://g/docs/</D:href><href>/docs/x</href><D:href>urn:uuid:2</D:href>');
  });

  it('rewrites Destination and If headers for the share, and spots moves elsewhere', () => {
    expect(rewriteDestination('http://g/docs/a/b', 'docs', names)).toEqual({
      kind: 'same-share',
      value: 'http://g/a/b',
    });
    expect(rewriteDestination('/docs', 'docs', names)).toEqual({ kind: 'same-share', value: '/' });
    expect(rewriteDestination('/my%20share/a', 'docs', names)).toEqual({ kind: 'elsewhere' });
    expect(rewriteDestination('/', 'docs', names)).toEqual({ kind: 'elsewhere' });
    expect(rewriteDestination('mailto:x', 'docs', names)).toEqual({ kind: 'invalid' });
    expect(rewriteIfHeader('<http://g/docs/a> (<urn:uuid:1>)', 'docs', names)).toBe(
      '<http://g/a> (<urn:uuid:1>)',
    );
  });
});
