import { parseControlJson, parseControlText } from '../../../../src/edge/control/control-request';

describe('control requests', () => {
  it.each([
    ['status', { kind: 'status' }],
    ['  STOP ', { kind: 'stop' }],
    ['help', { kind: 'help' }],
    ['share /srv/x', { kind: 'share', path: '/srv/x', readOnly: false }],
    ['share rel read-only', { kind: 'share', path: '/home/me/rel', readOnly: true }],
    ['share /srv/My Files ro', { kind: 'share', path: '/srv/My Files', readOnly: true }],
    ['share /srv/ro', { kind: 'share', path: '/srv/ro', readOnly: false }],
    [
      'share docs=/d music=/m:ro',
      {
        kind: 'share-folders',
        shares: [
          { name: 'docs', path: '/d', readOnly: false },
          { name: 'music', path: '/m', readOnly: true },
        ],
      },
    ],
    // Quoted as a shell would (a new user typed quotes and got them in the path, session 23).
    ['share "/srv/with space"', { kind: 'share', path: '/srv/with space', readOnly: false }],
    ["share '/srv/it''s' ro", { kind: 'share', path: '/srv/its', readOnly: true }],
    ['share "/srv/a \\"b\\"" read-only', { kind: 'share', path: '/srv/a "b"', readOnly: true }],
    [
      "share 'docs=/srv/my docs' music=/m:ro",
      {
        kind: 'share-folders',
        shares: [
          { name: 'docs', path: '/srv/my docs', readOnly: false },
          { name: 'music', path: '/m', readOnly: true },
        ],
      },
    ],
  ])('reads the terminal line %j', (line, request) => {
    expect(parseControlText(line, '/home/me')).toEqual({ kind: 'request', request });
  });

  it('says what is wrong with a terminal line', () => {
    expect(parseControlText('', '/')).toEqual({ kind: 'empty' });
    expect(parseControlText('shar /x', '/')).toMatchObject({
      kind: 'invalid',
      message: /unknown command "shar"/,
    });
    expect(parseControlText('share', '/')).toMatchObject({ kind: 'invalid', message: /needs a folder/ });
    expect(parseControlText('share a=/x A=/y', '/')).toMatchObject({ kind: 'invalid', message: /twice/ });
    expect(parseControlText('share "/srv/open', '/')).toMatchObject({
      kind: 'invalid',
      message: /not closed/,
    });
    expect(parseControlText('share "/a" "/b"', '/')).toMatchObject({
      kind: 'invalid',
      message: /one folder/,
    });
    expect(parseControlText('quit', '/')).toMatchObject({ kind: 'invalid', message: /Ctrl-C/ });
  });

  it.each([
    ['{"command":"status"}', { kind: 'status' }],
    ['{"command":"stop"}', { kind: 'stop' }],
    ['{"command":"share","path":"x","readOnly":true}', { kind: 'share', path: '/w/x', readOnly: true }],
    [
      '{"command":"share","shares":[{"name":"a","path":"/a"},{"name":"b","path":"/b","readOnly":true}]}',
      {
        kind: 'share-folders',
        shares: [
          { name: 'a', path: '/a', readOnly: false },
          { name: 'b', path: '/b', readOnly: true },
        ],
      },
    ],
  ])('reads the JSON line %s', (line, request) => {
    expect(parseControlJson(line, '/w')).toEqual({ kind: 'request', request });
  });

  it.each([
    ['nope', /not JSON/],
    ['[1]', /"command"/],
    ['{"command":"reboot"}', /unknown command "reboot"/],
    ['{"command":"share"}', /needs "path"/],
    ['{"command":"share","shares":[{"name":"a"}]}', /"name" and a "path"/],
  ])('answers the bad JSON line %s with advice', (line, message) => {
    expect(parseControlJson(line, '/')).toMatchObject({ kind: 'invalid', message });
  });

  it.each([
    ['{"command":"share","path":"/x","readOnly":"true"}', /"readOnly" must be true or false/],
    ['{"command":"share","path":"/x","readOnly":1}', /"readOnly" must be true or false/],
    ['{"command":"share","path":"/x","read_only":true}', /unknown field in share: "read_only"/],
    ['{"command":"share","shares":[{"name":"a","path":"/a","readOnly":"yes"}]}', /"readOnly" must be/],
    ['{"command":"share","shares":[{"name":"a","path":"/a","ro":true}]}', /unknown field in "shares": "ro"/],
    ['{"command":"share","shares":[],"path":"/x"}', /takes no other field: "path"/],
    ['{"command":"share","shares":[]}', /non-empty list/],
    ['{"command":"status","verbose":true}', /status takes no other field: "verbose"/],
  ])('refuses the loosely typed JSON line %s, naming what is wrong', (line, message) => {
    expect(parseControlJson(line, '/')).toMatchObject({ kind: 'invalid', message });
  });

  it('expands ~ in paths typed at the terminal or sent to the socket (no shell saw them)', () => {
    expect(parseControlText('share ~/Other read-only', '/w', '/home/me')).toEqual({
      kind: 'request',
      request: { kind: 'share', path: '/home/me/Other', readOnly: true },
    });
    expect(parseControlText('share d=~/Docs:ro', '/w', '/home/me')).toMatchObject({
      request: { shares: [{ name: 'd', path: '/home/me/Docs', readOnly: true }] },
    });
    expect(parseControlJson('{"command":"share","path":"~"}', '/w', '/home/me')).toMatchObject({
      request: { path: '/home/me' },
    });
    expect(
      parseControlJson('{"command":"share","shares":[{"name":"d","path":"~/D"}]}', '/w', '/home/me'),
    ).toMatchObject({ request: { shares: [{ path: '/home/me/D' }] } });
  });
});
