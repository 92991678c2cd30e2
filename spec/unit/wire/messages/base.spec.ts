import { BaseClientMsg, BaseServerMsg } from '../../../../src/wire/constants';
import { WireError } from '../../../../src/wire/errors';
import { decodeBaseMessage, encodeAck, encodeAckSync, encodePong } from '../../../../src/wire/messages/base';
import { hex } from '../wire-spec-helpers';

describe('decodeBaseMessage', () => {
  it('decodes SET_ACK', () => {
    expect(decodeBaseMessage(BaseServerMsg.SET_ACK, hex('01000000 14000000'))).toEqual({
      kind: 'set-ack',
      generation: 1,
      window: 20,
    });
  });

  it('decodes PING with its filler and reports the body size', () => {
    const body = Buffer.concat([hex('07000000 0102030405060708'), Buffer.alloc(250 * 1024)]);
    expect(decodeBaseMessage(BaseServerMsg.PING, body)).toEqual({
      kind: 'ping',
      id: 7,
      timestamp: 0x0807060504030201n,
      size: 12 + 250 * 1024,
    });
  });

  it('decodes NOTIFY with or without a trailing NUL', () => {
    const notify = (text: string): Buffer => {
      const message = Buffer.from(text);
      const head = hex('0900000000000000 01000000 02000000 00000000 00000000');
      head.writeUInt32LE(message.length, 20);
      return Buffer.concat([head, message]);
    };
    const expected = { kind: 'notify', timestamp: 9n, severity: 1, visibility: 2, what: 0, message: 'hello' };
    expect(decodeBaseMessage(BaseServerMsg.NOTIFY, notify('hello'))).toEqual(expected);
    expect(decodeBaseMessage(BaseServerMsg.NOTIFY, notify('hello\0'))).toEqual(expected);
  });

  it('decodes DISCONNECTING, MIGRATE, WAIT_FOR_CHANNELS, MIGRATE_DATA and LIST', () => {
    expect(decodeBaseMessage(BaseServerMsg.DISCONNECTING, hex('0100000000000000 08000000'))).toEqual({
      kind: 'disconnecting',
      timestamp: 1n,
      reason: 8,
    });
    expect(decodeBaseMessage(BaseServerMsg.MIGRATE, hex('03000000'))).toEqual({ kind: 'migrate', flags: 3 });
    expect(
      decodeBaseMessage(
        BaseServerMsg.WAIT_FOR_CHANNELS,
        hex('02 0200 0500000000000000 0401 ffffffffffffffff'),
      ),
    ).toEqual({
      kind: 'wait-for-channels',
      channels: [
        { type: 2, id: 0, serial: 5n },
        { type: 4, id: 1, serial: 0xffffffffffffffffn },
      ],
    });
    expect(decodeBaseMessage(BaseServerMsg.MIGRATE_DATA, hex('abcd'))).toEqual({
      kind: 'migrate-data',
      data: hex('abcd'),
    });
    expect(decodeBaseMessage(BaseServerMsg.LIST, hex('00'))).toEqual({ kind: 'list', data: hex('00') });
  });

  it('returns undefined for types that are not base messages', () => {
    expect(decodeBaseMessage(101, Buffer.alloc(0))).toBeUndefined();
    expect(decodeBaseMessage(0, Buffer.alloc(0))).toBeUndefined();
  });

  it('rejects short bodies as truncated', () => {
    expect(() => decodeBaseMessage(BaseServerMsg.PING, hex('07000000 01020304'))).toThrow(WireError);
    expect(() => decodeBaseMessage(BaseServerMsg.WAIT_FOR_CHANNELS, hex('02 0200 0500000000000000'))).toThrow(
      WireError,
    );
    expect(() =>
      decodeBaseMessage(
        BaseServerMsg.NOTIFY,
        hex('0900000000000000 01000000 02000000 00000000 05000000 6869'),
      ),
    ).toThrow(WireError);
  });
});

describe('base client messages', () => {
  it('PONG echoes id and timestamp in 12 bytes', () => {
    expect(encodePong(7, 0x0807060504030201n)).toEqual({
      type: BaseClientMsg.PONG,
      body: hex('07000000 0102030405060708'),
    });
  });

  it('ACK_SYNC carries the generation and ACK is empty', () => {
    expect(encodeAckSync(0xdeadbeef)).toEqual({ type: BaseClientMsg.ACK_SYNC, body: hex('efbeadde') });
    expect(encodeAck()).toEqual({ type: BaseClientMsg.ACK, body: Buffer.alloc(0) });
  });

  it('refuses values that do not fit', () => {
    expect(() => encodePong(-1, 0n)).toThrow(RangeError);
    expect(() => encodePong(1, -1n)).toThrow(RangeError);
    expect(() => encodeAckSync(2 ** 32)).toThrow(RangeError);
  });
});
