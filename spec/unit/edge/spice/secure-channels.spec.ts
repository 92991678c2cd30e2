import { ChannelType } from '../../../../src/wire/constants';
import {
  listsChannel,
  parseSecureChannels,
  type SecureChannels,
} from '../../../../src/edge/spice/secure-channels';
import { routeChannel, type SpiceTarget } from '../../../../src/edge/spice/target';

const plain = { kind: 'tcp', host: 'vm', port: 5900, secure: false } as const;
const tls = { kind: 'tcp', host: 'vm', port: 5901, secure: true } as const;

function target(ports: { port?: number; tlsPort?: number }, secureChannels?: SecureChannels): SpiceTarget {
  return { kind: 'tcp', host: 'vm', ...ports, ...(secureChannels === undefined ? {} : { secureChannels }) };
}

describe('secure-channels', () => {
  it.each([
    [
      'main;inputs;cursor;playback;record;display;smartcard;usbredir;webdav',
      ['main', 'inputs', 'cursor', 'playback', 'record', 'display', 'smartcard', 'usbredir', 'webdav'],
    ],
    ['main,webdav', ['main', 'webdav']],
    [' Main ; main;', ['main']],
    ['all', 'all'],
    ['main;all', 'all'],
  ])('parses %j', (text, value) => {
    expect(parseSecureChannels(text)).toEqual({ kind: 'ok', value });
  });

  it.each([
    ['webadv', /"webadv" is not a SPICE channel \(known: all, main,/],
    ['', /names no channel/],
    [';,', /names no channel/],
  ])('refuses %j and says why', (text, message) => {
    const result = parseSecureChannels(text);
    expect(result.kind).toBe('error');
    if (result.kind === 'error') expect(result.message).toMatch(message);
  });

  it('names channels by their spice-gtk names', () => {
    expect(listsChannel(['webdav'], ChannelType.WEBDAV)).toBe(true);
    expect(listsChannel(['webdav'], ChannelType.MAIN)).toBe(false);
    expect(listsChannel('all', ChannelType.MAIN)).toBe(true);
    expect(listsChannel(undefined, ChannelType.MAIN)).toBe(false);
  });
});

describe('which port a channel links on (the password goes only where the channel links)', () => {
  it('links every channel on the TLS port only when a TLS port is known and no list is given', () => {
    for (const channel of [ChannelType.MAIN, ChannelType.WEBDAV]) {
      expect(routeChannel(target({ port: 5900, tlsPort: 5901 }), channel)).toEqual({
        kind: 'link',
        endpoint: tls,
        onNeedSecured: undefined,
      });
    }
  });

  it('lets only the channels a secure-channels list leaves out try the plain port first', () => {
    const listed = target({ port: 5900, tlsPort: 5901 }, ['main']);
    expect(routeChannel(listed, ChannelType.MAIN)).toEqual({
      kind: 'link',
      endpoint: tls,
      onNeedSecured: undefined,
    });
    expect(routeChannel(listed, ChannelType.WEBDAV)).toEqual({
      kind: 'link',
      endpoint: plain,
      onNeedSecured: tls,
    });
    const all = target({ port: 5900, tlsPort: 5901 }, 'all');
    expect(routeChannel(all, ChannelType.WEBDAV)).toEqual({
      kind: 'link',
      endpoint: tls,
      onNeedSecured: undefined,
    });
  });

  it('uses the TLS port for an unlisted channel when there is no plain port', () => {
    expect(routeChannel(target({ tlsPort: 5901 }, ['main']), ChannelType.WEBDAV)).toEqual({
      kind: 'link',
      endpoint: tls,
      onNeedSecured: undefined,
    });
  });

  it('keeps a plain-only target plain, and refuses a channel the list requires TLS for', () => {
    expect(routeChannel(target({ port: 5900 }), ChannelType.WEBDAV)).toEqual({
      kind: 'link',
      endpoint: plain,
      onNeedSecured: undefined,
    });
    expect(routeChannel(target({ port: 5900 }, ['display']), ChannelType.MAIN)).toEqual({
      kind: 'link',
      endpoint: plain,
      onNeedSecured: undefined,
    });
    expect(routeChannel(target({ port: 5900 }, ['main']), ChannelType.MAIN)).toEqual({
      kind: 'needs-tls-port',
    });
    expect(routeChannel(target({ port: 5900 }, 'all'), ChannelType.WEBDAV)).toEqual({
      kind: 'needs-tls-port',
    });
  });

  it('links a unix socket as it is', () => {
    expect(routeChannel({ kind: 'unix', path: '/run/spice.sock' }, ChannelType.MAIN)).toEqual({
      kind: 'link',
      endpoint: { kind: 'unix', path: '/run/spice.sock' },
      onNeedSecured: undefined,
    });
  });
});
