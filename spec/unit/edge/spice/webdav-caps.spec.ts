import { linkIsRemote, webdavAdvertisesLz4, webdavChannelCaps } from '../../../../src/edge/spice/webdav-caps';
import type { SpiceEndpoint } from '../../../../src/edge/spice/target';
import { SpicevmcCap } from '../../../../src/wire/constants';

type TcpEndpoint = Extract<SpiceEndpoint, { kind: 'tcp' }>;
const tcp = (host: string): TcpEndpoint => ({ kind: 'tcp', host, port: 5900, secure: false });
const socketTo = (remoteAddress: string | undefined, localAddress = '192.168.1.10') => ({
  remoteAddress,
  localAddress,
});

describe('whether the webdav channel asks for LZ4', () => {
  it('auto: not over a unix socket or a loopback TCP/TLS peer, nor to an address of this machine', () => {
    expect(linkIsRemote({ kind: 'unix', path: '/run/spice.sock' }, socketTo(undefined))).toBe(false);
    expect(linkIsRemote(tcp('localhost'), socketTo('127.0.0.1', '127.0.0.1'))).toBe(false);
    expect(linkIsRemote(tcp('127.1.2.3'), socketTo('127.1.2.3', '127.0.0.1'))).toBe(false);
    expect(linkIsRemote(tcp('::1'), socketTo('::1', '::1'))).toBe(false);
    expect(linkIsRemote(tcp('localhost'), socketTo('::ffff:127.0.0.1', '::ffff:127.0.0.1'))).toBe(false);
    expect(linkIsRemote(tcp('myhost'), socketTo('192.168.1.10', '192.168.1.10'))).toBe(false);
  });

  it('auto: yes to another machine (TCP or TLS), and through an ssh tunnel whatever the address behind it', () => {
    expect(linkIsRemote(tcp('vmhost'), socketTo('192.168.1.20'))).toBe(true);
    expect(linkIsRemote({ ...tcp('vmhost'), secure: true }, socketTo('2001:db8::5', '2001:db8::1'))).toBe(
      true,
    );
    const tunnelled: TcpEndpoint = { ...tcp('127.0.0.1'), via: { host: 'admin@vmhost' } };
    expect(linkIsRemote(tunnelled, socketTo(undefined, undefined))).toBe(true);
  });

  it('on and off override auto; the caps carry DATA_COMPRESS_LZ4 only when asked', () => {
    const unix: SpiceEndpoint = { kind: 'unix', path: '/run/spice.sock' };
    expect(webdavAdvertisesLz4('on', unix, socketTo(undefined))).toBe(true);
    expect(webdavAdvertisesLz4('off', tcp('vmhost'), socketTo('192.168.1.20'))).toBe(false);
    expect(webdavAdvertisesLz4('auto', tcp('vmhost'), socketTo('192.168.1.20'))).toBe(true);
    expect(webdavChannelCaps(true)).toEqual([SpicevmcCap.DATA_COMPRESS_LZ4]);
    expect(webdavChannelCaps(false)).toEqual([]);
  });
});
