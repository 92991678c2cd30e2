import {
  ChannelType,
  CommonCap,
  MUX_HEADER_SIZE,
  MUX_MAX_PAYLOAD,
  SPICE_MAGIC,
  SPICE_MAGIC_BYTES,
  TICKET_PUBKEY_BYTES,
} from '../../../src/wire/constants';

describe('constants', () => {
  it('spells the magic REDQ both ways', () => {
    expect(SPICE_MAGIC_BYTES.readUInt32LE(0)).toBe(SPICE_MAGIC);
    expect(SPICE_MAGIC_BYTES.toString('latin1')).toBe('REDQ');
  });

  it('matches the numbers of the protocol document', () => {
    expect(ChannelType.WEBDAV).toBe(11);
    expect(ChannelType.PORT).toBe(10);
    expect(CommonCap.MINI_HEADER).toBe(3);
    expect(TICKET_PUBKEY_BYTES).toBe(1024 / 8 + 34);
    expect(MUX_MAX_PAYLOAD).toBe(0xffff);
    expect(MUX_HEADER_SIZE).toBe(8 + 2);
  });
});
