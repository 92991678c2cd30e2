import { MainClientMsg, MainServerMsg } from '../../../../src/wire/constants';

import { decodeMainMessage, encodeAttachChannels } from '../../../../src/wire/messages/main';
import { hex, wireErrorKind } from '../wire-spec-helpers';

describe('decodeMainMessage', () => {
  it('decodes MAIN_INIT (eight u32)', () => {
    const body = hex('78563412 01000000 03000000 02000000 01000000 0a000000 e8030000 00001000');
    expect(decodeMainMessage(MainServerMsg.INIT, body)).toEqual({
      kind: 'main-init',
      sessionId: 0x12345678,
      displayChannelsHint: 1,
      supportedMouseModes: 3,
      currentMouseMode: 2,
      agentConnected: 1,
      agentTokens: 10,
      multiMediaTime: 1000,
      ramHint: 0x100000,
    });
  });

  it('decodes CHANNELS_LIST', () => {
    expect(decodeMainMessage(MainServerMsg.CHANNELS_LIST, hex('03000000 0100 0b00 0a01'))).toEqual({
      kind: 'channels-list',
      channels: [
        { type: 1, id: 0 },
        { type: 11, id: 0 },
        { type: 10, id: 1 },
      ],
    });
  });

  it('rejects a CHANNELS_LIST count larger than its body without allocating for it', () => {
    expect(wireErrorKind(() => decodeMainMessage(MainServerMsg.CHANNELS_LIST, hex('ffffffff 0100')))).toBe(
      'truncated',
    );
  });

  it('decodes NAME and UUID', () => {
    expect(decodeMainMessage(MainServerMsg.NAME, hex('04000000 766d3100'))).toEqual({
      kind: 'name',
      name: 'vm1',
    });
    expect(decodeMainMessage(MainServerMsg.UUID, hex('00112233445566778899aabbccddeeff'))).toEqual({
      kind: 'uuid',
      uuid: '00112233-4455-6677-8899-aabbccddeeff',
    });
  });

  it('decodes MIGRATE_SWITCH_HOST with strings located by offsets from the body start', () => {
    // port 5900, sport 5901, host "h1\0" at 20, cert subject "CN=x\0" at 23.
    const body = hex('0c17 0d17 03000000 14000000 05000000 17000000 683100 434e3d7800');
    expect(decodeMainMessage(MainServerMsg.MIGRATE_SWITCH_HOST, body)).toEqual({
      kind: 'migrate-switch-host',
      host: 'h1',
      port: 5900,
      tlsPort: 5901,
      certSubject: 'CN=x',
    });
    const noSubject = hex('0c17 0000 03000000 14000000 00000000 00000000 683100');
    expect(decodeMainMessage(MainServerMsg.MIGRATE_SWITCH_HOST, noSubject)).toMatchObject({
      certSubject: '',
    });
    const badOffset = hex('0c17 0000 03000000 ff000000 00000000 00000000 683100');
    expect(wireErrorKind(() => decodeMainMessage(MainServerMsg.MIGRATE_SWITCH_HOST, badOffset))).toBe(
      'malformed',
    );
  });

  it('decodes the small and empty messages', () => {
    expect(decodeMainMessage(MainServerMsg.MOUSE_MODE, hex('0300 0200'))).toEqual({
      kind: 'mouse-mode',
      supported: 3,
      current: 2,
    });
    expect(decodeMainMessage(MainServerMsg.MULTI_MEDIA_TIME, hex('2a000000'))).toEqual({
      kind: 'multi-media-time',
      time: 42,
    });
    expect(decodeMainMessage(MainServerMsg.AGENT_CONNECTED, Buffer.alloc(0))).toEqual({
      kind: 'agent-connected',
    });
    expect(decodeMainMessage(MainServerMsg.AGENT_DISCONNECTED, hex('01000000'))).toEqual({
      kind: 'agent-disconnected',
      errorCode: 1,
    });
    expect(decodeMainMessage(MainServerMsg.AGENT_DATA, hex('0102'))).toEqual({
      kind: 'agent-data',
      data: hex('0102'),
    });
    expect(decodeMainMessage(MainServerMsg.AGENT_TOKEN, hex('0a000000'))).toEqual({
      kind: 'agent-token',
      tokens: 10,
    });
    expect(decodeMainMessage(MainServerMsg.AGENT_CONNECTED_TOKENS, hex('0a000000'))).toEqual({
      kind: 'agent-connected-tokens',
      tokens: 10,
    });
    expect(decodeMainMessage(MainServerMsg.MIGRATE_BEGIN, Buffer.alloc(0))).toEqual({
      kind: 'migrate-begin',
    });
    expect(decodeMainMessage(MainServerMsg.MIGRATE_CANCEL, Buffer.alloc(0))).toEqual({
      kind: 'migrate-cancel',
    });
    expect(decodeMainMessage(MainServerMsg.MIGRATE_END, Buffer.alloc(0))).toEqual({ kind: 'migrate-end' });
  });

  it('returns undefined for other types and rejects short bodies', () => {
    expect(decodeMainMessage(3, Buffer.alloc(8))).toBeUndefined();
    expect(decodeMainMessage(200, Buffer.alloc(8))).toBeUndefined();
    expect(wireErrorKind(() => decodeMainMessage(MainServerMsg.INIT, Buffer.alloc(31)))).toBe('truncated');
    expect(wireErrorKind(() => decodeMainMessage(MainServerMsg.NAME, hex('09000000 766d3100')))).toBe(
      'truncated',
    );
  });
});

describe('main client messages', () => {
  it('ATTACH_CHANNELS is type 104 with an empty body', () => {
    expect(encodeAttachChannels()).toEqual({ type: MainClientMsg.ATTACH_CHANNELS, body: Buffer.alloc(0) });
  });
});
