import { ChannelType, CommonCap, LinkErrorCode, SpicevmcCap } from '../../../src/wire/constants';
import { LinkError, SaslRequiredError } from '../../../src/wire/errors';
import {
  LINK_HEADER_SIZE,
  decodeLinkHeader,
  decodeLinkMessage,
  decodeLinkReply,
  decodeLinkResult,
  encodeAuthMechanism,
  encodeLinkMessage,
  encodeLinkReply,
  selectAuthMechanism,
} from '../../../src/wire/link';
import { hex, wireErrorKind } from './wire-spec-helpers';

/** A 178-byte SpiceLinkReply body followed by caps words, with an arbitrary key. */
function replyBody(o: {
  error?: number;
  common?: number[];
  channel?: number[];
  capsOffset?: number;
}): Buffer {
  const common = o.common ?? [];
  const channel = o.channel ?? [];
  const body = Buffer.alloc(178 + 4 * (common.length + channel.length));
  body.writeUInt32LE(o.error ?? 0, 0);
  body.fill(0xaa, 4, 166);
  body.writeUInt32LE(common.length, 166);
  body.writeUInt32LE(channel.length, 170);
  body.writeUInt32LE(o.capsOffset ?? 178, 174);
  [...common, ...channel].forEach((word, i) => body.writeUInt32LE(word, 178 + 4 * i));
  return body;
}

describe('encodeLinkMessage', () => {
  it('produces the webdav link of the protocol document byte for byte', () => {
    const message = encodeLinkMessage({
      connectionId: 0x12345678,
      channelType: ChannelType.WEBDAV,
      channelId: 0,
      commonCaps: [CommonCap.AUTH_SELECTION, CommonCap.MINI_HEADER],
      channelCaps: [],
    });
    expect(message).toEqual(
      hex(
        '52 45 44 51 | 02 00 00 00 | 02 00 00 00 | 16 00 00 00 |' +
          '78 56 34 12 0b 00 01 00 00 00 00 00 00 00 12 00 00 00 | 09 00 00 00',
      ),
    );
  });

  it('writes channel caps after common caps and counts both in the size', () => {
    const message = encodeLinkMessage({
      connectionId: 0,
      channelType: ChannelType.MAIN,
      channelId: 0,
      commonCaps: [CommonCap.AUTH_SELECTION, CommonCap.MINI_HEADER],
      channelCaps: [SpicevmcCap.DATA_COMPRESS_LZ4, 33],
    });
    expect(decodeLinkHeader(message.subarray(0, LINK_HEADER_SIZE)).size).toBe(18 + 4 * 3);
    expect(decodeLinkMessage(message.subarray(LINK_HEADER_SIZE))).toEqual({
      connectionId: 0,
      channelType: 1,
      channelId: 0,
      commonCaps: [0x09],
      channelCaps: [0x01, 0x02],
    });
  });

  it('refuses values that do not fit their fields', () => {
    const base = { connectionId: 0, channelType: 11, channelId: 0, commonCaps: [], channelCaps: [] };
    expect(() => encodeLinkMessage({ ...base, channelType: 256 })).toThrow(RangeError);
    expect(() => encodeLinkMessage({ ...base, connectionId: -1 })).toThrow(RangeError);
  });
});

describe('decodeLinkHeader', () => {
  it('reads version and size', () => {
    expect(decodeLinkHeader(hex('52454451 02000000 02000000 b6000000'))).toEqual({
      major: 2,
      minor: 2,
      size: 182,
    });
  });

  it('rejects a wrong magic as malformed, showing printable bytes as text', () => {
    expect(wireErrorKind(() => decodeLinkHeader(hex('48545450 02000000 02000000 b6000000')))).toBe(
      'malformed',
    );
    // An HTTP server's answer begins "HTTP": said as such, not as the bytes read little-endian.
    expect(() => decodeLinkHeader(Buffer.from('HTTP/1.1 400 Bad'))).toThrow(
      /it began with "HTTP" instead of "REDQ"/,
    );
    expect(() => decodeLinkHeader(hex('16030100 02000000 02000000 b6000000'))).toThrow(
      /began with 0x16030100/,
    );
  });

  it('rejects a size over 4096 as too large, and accepts 4096', () => {
    expect(wireErrorKind(() => decodeLinkHeader(hex('52454451 02000000 02000000 01100000')))).toBe(
      'too-large',
    );
    expect(decodeLinkHeader(hex('52454451 02000000 02000000 00100000')).size).toBe(4096);
  });

  it('reports a short header as truncated', () => {
    expect(wireErrorKind(() => decodeLinkHeader(hex('52454451 02000000')))).toBe('truncated');
  });
});

describe('decodeLinkReply', () => {
  it('reads the key and the cap words', () => {
    const reply = decodeLinkReply(replyBody({ common: [0x0b], channel: [0x01] }));
    expect(reply.error).toBe(0);
    expect(reply.publicKey).toEqual(Buffer.alloc(162, 0xaa));
    expect(reply.commonCaps).toEqual([0x0b]);
    expect(reply.channelCaps).toEqual([0x01]);
  });

  it('round-trips encodeLinkReply', () => {
    const publicKey = Buffer.alloc(162, 7);
    const wire = encodeLinkReply({ error: 0, publicKey, commonCaps: [0x0b, 0], channelCaps: [1] });
    const header = decodeLinkHeader(wire.subarray(0, LINK_HEADER_SIZE));
    expect(header.size).toBe(wire.length - LINK_HEADER_SIZE);
    expect(decodeLinkReply(wire.subarray(LINK_HEADER_SIZE))).toEqual({
      error: 0,
      publicKey,
      commonCaps: [0x0b, 0],
      channelCaps: [1],
    });
  });

  it('returns the error of a refusal without judging its zeroed caps', () => {
    const body = replyBody({ error: LinkErrorCode.NEED_SECURED });
    body.writeUInt32LE(0, 174); // caps_offset 0 would be invalid for a successful reply
    expect(decodeLinkReply(body)).toMatchObject({ error: 5, commonCaps: [], channelCaps: [] });
  });

  it('rejects a short body as truncated', () => {
    expect(wireErrorKind(() => decodeLinkReply(Buffer.alloc(177)))).toBe('truncated');
  });

  it('rejects caps outside the body or before the fixed part as malformed', () => {
    const overrun = replyBody({ common: [0x0b] });
    overrun.writeUInt32LE(2, 166);
    expect(wireErrorKind(() => decodeLinkReply(overrun))).toBe('malformed');
    expect(wireErrorKind(() => decodeLinkReply(replyBody({ common: [0x0b], capsOffset: 170 })))).toBe(
      'malformed',
    );
    expect(wireErrorKind(() => decodeLinkReply(replyBody({ common: [0x0b], capsOffset: 0xfffffffe })))).toBe(
      'malformed',
    );
  });

  it('rejects more than 1024 words of caps as too large', () => {
    const body = replyBody({});
    body.writeUInt32LE(1025, 170);
    expect(wireErrorKind(() => decodeLinkReply(body))).toBe('too-large');
  });
});

describe('auth mechanism and result', () => {
  it('selects the ticket when the server offers it', () => {
    expect(selectAuthMechanism([0x0b])).toBe('spice');
    expect(selectAuthMechanism([0x0f])).toBe('spice');
    expect(selectAuthMechanism([])).toBe('spice');
  });

  it('explains that SASL-only servers are not supported', () => {
    expect(() => selectAuthMechanism([0x0d])).toThrow(SaslRequiredError);
    expect(() => selectAuthMechanism([0x0d])).toThrow(LinkError);
  });

  it('encodes the mechanism and decodes the result as u32 LE', () => {
    expect(encodeAuthMechanism(1)).toEqual(hex('01000000'));
    expect(decodeLinkResult(hex('07000000'))).toBe(LinkErrorCode.PERMISSION_DENIED);
    expect(decodeLinkResult(hex('00000000'))).toBe(LinkErrorCode.OK);
    expect(wireErrorKind(() => decodeLinkResult(hex('0700')))).toBe('truncated');
  });
});
