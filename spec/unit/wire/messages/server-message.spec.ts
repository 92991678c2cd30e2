import { ChannelType } from '../../../../src/wire/constants';
import { decodeServerMessage } from '../../../../src/wire/messages/server-message';
import { hex } from '../wire-spec-helpers';

describe('decodeServerMessage', () => {
  it('decodes base messages on every channel type', () => {
    for (const channelType of Object.values(ChannelType)) {
      expect(decodeServerMessage(channelType, 4, hex('01000000 0200000000000000'))).toMatchObject({
        kind: 'ping',
        id: 1,
        timestamp: 2n,
      });
    }
  });

  it('decodes main messages only on the main channel', () => {
    const init = Buffer.alloc(32);
    expect(decodeServerMessage(ChannelType.MAIN, 103, init)).toMatchObject({
      kind: 'main-init',
      sessionId: 0,
    });
    expect(decodeServerMessage(ChannelType.WEBDAV, 103, init)).toEqual({
      kind: 'unknown',
      channelType: ChannelType.WEBDAV,
      type: 103,
      body: init,
    });
  });

  it('decodes vmc data on the spicevmc family and port messages on port channels', () => {
    for (const channelType of [
      ChannelType.SMARTCARD,
      ChannelType.USBREDIR,
      ChannelType.PORT,
      ChannelType.WEBDAV,
    ]) {
      expect(decodeServerMessage(channelType, 101, hex('aa'))).toEqual({
        kind: 'vmc-data',
        pieces: [hex('aa')],
        bytes: 1,
      });
    }
    for (const channelType of [ChannelType.PORT, ChannelType.WEBDAV]) {
      expect(decodeServerMessage(channelType, 202, hex('00'))).toEqual({ kind: 'port-event', event: 0 });
    }
    expect(decodeServerMessage(ChannelType.USBREDIR, 202, hex('00'))).toMatchObject({ kind: 'unknown' });
    expect(decodeServerMessage(ChannelType.MAIN, 101, Buffer.alloc(0))).toEqual({ kind: 'migrate-begin' });
    expect(decodeServerMessage(ChannelType.DISPLAY, 101, hex('aa'))).toMatchObject({
      kind: 'unknown',
      type: 101,
    });
  });

  it('returns unknown for unknown types and channels', () => {
    expect(decodeServerMessage(ChannelType.WEBDAV, 9, Buffer.alloc(0))).toMatchObject({
      kind: 'unknown',
      type: 9,
    });
    expect(decodeServerMessage(200, 101, Buffer.alloc(0))).toMatchObject({
      kind: 'unknown',
      channelType: 200,
    });
  });
});
