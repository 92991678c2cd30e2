import {
  PortClientMsg,
  PortEvent,
  PortServerMsg,
  SpicevmcCap,
  SpicevmcServerMsg,
} from '../../../../src/wire/constants';

import {
  MAX_VMC_UNCOMPRESSED_SIZE,
  decodePortMessage,
  decodeVmcMessage,
  encodePortEvent,
} from '../../../../src/wire/messages/port';
import { compressLz4Block } from '../lz4-test-encoder';
import { hex, wireErrorKind } from '../wire-spec-helpers';

describe('decodePortMessage', () => {
  it('decodes PORT_INIT for the webdav port (name after the 9 fixed bytes)', () => {
    const name = Buffer.from('org.spice-space.webdav.0\0');
    const head = Buffer.alloc(9);
    head.writeUInt32LE(name.length, 0);
    head.writeUInt32LE(9, 4);
    head.writeUInt8(1, 8);
    expect(decodePortMessage(PortServerMsg.INIT, Buffer.concat([head, name]))).toEqual({
      kind: 'port-init',
      name: 'org.spice-space.webdav.0',
      opened: true,
    });
    head.writeUInt8(0, 8);
    expect(decodePortMessage(PortServerMsg.INIT, Buffer.concat([head, name]))).toMatchObject({
      opened: false,
    });
  });

  it('rejects a PORT_INIT name outside the body', () => {
    expect(wireErrorKind(() => decodePortMessage(PortServerMsg.INIT, hex('10000000 09000000 01 6100')))).toBe(
      'malformed',
    );
  });

  it('decodes PORT_EVENT', () => {
    expect(decodePortMessage(PortServerMsg.EVENT, hex('01'))).toEqual({
      kind: 'port-event',
      event: PortEvent.CLOSED,
    });
    expect(wireErrorKind(() => decodePortMessage(PortServerMsg.EVENT, Buffer.alloc(0)))).toBe('truncated');
  });

  it('returns undefined for other types', () => {
    expect(decodePortMessage(SpicevmcServerMsg.DATA, hex('01'))).toBeUndefined();
  });
});

describe('decodeVmcMessage', () => {
  const lz4Advertised = [SpicevmcCap.DATA_COMPRESS_LZ4];

  it('passes SPICEVMC_DATA through as a view', () => {
    const body = Buffer.from('mux bytes');
    const message = decodeVmcMessage(SpicevmcServerMsg.DATA, body);
    expect(message).toEqual({ kind: 'vmc-data', pieces: [body], bytes: body.length });
    expect(message?.pieces[0]?.buffer).toBe(body.buffer);
  });

  it('refuses COMPRESSED_DATA of any type unless DATA_COMPRESS_LZ4 was advertised (issue 17)', () => {
    const data = Buffer.from('0123456789'.repeat(200));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(data.length);
    const lz4 = Buffer.concat([hex('01'), size, compressLz4Block(data)]);
    for (const body of [lz4, hex('00 616263')]) {
      expect(wireErrorKind(() => decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, body))).toBe(
        'unsupported',
      );
      expect(wireErrorKind(() => decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, body, []))).toBe(
        'unsupported',
      );
    }
  });

  it('decodes COMPRESSED_DATA of type NONE as the remaining bytes', () => {
    expect(decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, hex('00 616263'), lz4Advertised)).toEqual({
      kind: 'vmc-data',
      pieces: [Buffer.from('abc')],
      bytes: 3,
    });
  });

  it('decodes COMPRESSED_DATA of type LZ4 into plain vmc-data', () => {
    const data = Buffer.from('0123456789'.repeat(200));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(data.length);
    const body = Buffer.concat([hex('01'), size, compressLz4Block(data)]);
    expect(decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, body, lz4Advertised)).toEqual({
      kind: 'vmc-data',
      pieces: [data],
      bytes: data.length,
      compressedSize: body.length - 5,
    });
  });

  it('rejects unknown compression, oversized and corrupt LZ4 data', () => {
    expect(
      wireErrorKind(() =>
        decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, hex('02 00000000'), lz4Advertised),
      ),
    ).toBe('unsupported');
    const tooBig = Buffer.alloc(5);
    tooBig.writeUInt32LE(MAX_VMC_UNCOMPRESSED_SIZE + 1, 1);
    tooBig.writeUInt8(1, 0);
    expect(
      wireErrorKind(() => decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, tooBig, lz4Advertised)),
    ).toBe('too-large');
    expect(
      wireErrorKind(() =>
        decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, hex('01 05000000 15610000'), lz4Advertised),
      ),
    ).toBe('malformed');
    expect(
      wireErrorKind(() => decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, hex('01 0500'), lz4Advertised)),
    ).toBe('truncated');
    expect(
      wireErrorKind(() =>
        decodeVmcMessage(SpicevmcServerMsg.COMPRESSED_DATA, Buffer.alloc(0), lz4Advertised),
      ),
    ).toBe('truncated');
  });
});

describe('port client messages', () => {
  it('PORT_EVENT is one byte', () => {
    expect(encodePortEvent(PortEvent.BREAK)).toEqual({ type: PortClientMsg.EVENT, body: hex('02') });
    expect(() => encodePortEvent(256)).toThrow(RangeError);
  });
});
