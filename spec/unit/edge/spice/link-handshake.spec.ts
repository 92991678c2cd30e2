import * as net from 'node:net';

import { linkChannel } from '../../../../src/edge/spice/link-handshake';
import { EndOfStreamError } from '../../../../src/edge/spice/socket-reader';
import { hasCap } from '../../../../src/wire/caps';
import { ChannelType, CommonCap, LinkErrorCode } from '../../../../src/wire/constants';
import { LinkError, SaslRequiredError } from '../../../../src/wire/errors';
import { startFakeSpiceServer, type FakeLinkScript, type FakeSpiceServer } from './support/fake-spice-server';

describe('linkChannel (the link handshake against a fake server)', () => {
  let server: FakeSpiceServer | undefined;
  let client: net.Socket | undefined;

  afterEach(async () => {
    client?.destroy();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  async function connectTo(script: FakeLinkScript): Promise<net.Socket> {
    server = await startFakeSpiceServer(() => script);
    const port = server.port;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => undefined);
    client = socket;
    return socket;
  }

  it('sends AUTH_SELECTION + MINI_HEADER, no channel caps, and the password ticket; returns the mini header', async () => {
    const socket = await connectTo({ password: 'secret' });
    const outcome = await linkChannel(socket, {
      connectionId: 1234,
      channelType: ChannelType.WEBDAV,
      channelId: 0,
      password: 'secret',
    });
    expect(outcome.headerKind).toBe('mini');
    expect(outcome.leftover.length).toBe(0);
    const link = server?.links[0];
    expect(link).toMatchObject({
      connectionId: 1234,
      channelType: ChannelType.WEBDAV,
      channelId: 0,
      channelCaps: [],
    });
    expect(hasCap(link?.commonCaps ?? [], CommonCap.AUTH_SELECTION)).toBe(true);
    expect(hasCap(link?.commonCaps ?? [], CommonCap.MINI_HEADER)).toBe(true);
    expect(hasCap(link?.commonCaps ?? [], CommonCap.AUTH_SASL)).toBe(false);
    expect(server?.tickets).toEqual(['secret']);
  });

  it('sends the empty ticket when there is no password', async () => {
    const socket = await connectTo({});
    await linkChannel(socket, { connectionId: 0, channelType: ChannelType.MAIN, channelId: 0 });
    expect(server?.tickets).toEqual(['']);
  });

  it('uses the full header when the server does not advertise MINI_HEADER', async () => {
    const socket = await connectTo({ commonCaps: [CommonCap.AUTH_SELECTION, CommonCap.AUTH_SPICE] });
    const outcome = await linkChannel(socket, {
      connectionId: 0,
      channelType: ChannelType.MAIN,
      channelId: 0,
    });
    expect(outcome.headerKind).toBe('full');
  });

  it('hands back the bytes that arrived together with the link result', async () => {
    const first = Buffer.from([0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb]);
    const socket = await connectTo({ afterResult: first });
    const outcome = await linkChannel(socket, {
      connectionId: 0,
      channelType: ChannelType.MAIN,
      channelId: 0,
    });
    expect(outcome.leftover).toEqual(first);
  });

  it('rejects with EndOfStreamError when the server closes without a reply (channel does not exist)', async () => {
    const socket = await connectTo({ closeWithoutReply: true });
    await expect(
      linkChannel(socket, { connectionId: 7, channelType: ChannelType.WEBDAV, channelId: 0 }),
    ).rejects.toBeInstanceOf(EndOfStreamError);
  });

  it('rejects with the LinkError of an error reply (NEED_SECURED)', async () => {
    const socket = await connectTo({ replyError: LinkErrorCode.NEED_SECURED });
    const failure = linkChannel(socket, { connectionId: 0, channelType: ChannelType.MAIN, channelId: 0 });
    await expect(failure).rejects.toBeInstanceOf(LinkError);
    await expect(failure).rejects.toMatchObject({
      code: LinkErrorCode.NEED_SECURED,
      codeName: 'NEED_SECURED',
    });
  });

  it('rejects with PERMISSION_DENIED when the link result refuses the password', async () => {
    const socket = await connectTo({ password: 'right' });
    await expect(
      linkChannel(socket, {
        connectionId: 0,
        channelType: ChannelType.MAIN,
        channelId: 0,
        password: 'wrong',
      }),
    ).rejects.toMatchObject({ code: LinkErrorCode.PERMISSION_DENIED });
  });

  it('refuses a SASL-only server with SaslRequiredError', async () => {
    const socket = await connectTo({
      commonCaps: [CommonCap.AUTH_SELECTION, CommonCap.AUTH_SASL, CommonCap.MINI_HEADER],
    });
    await expect(
      linkChannel(socket, { connectionId: 0, channelType: ChannelType.MAIN, channelId: 0 }),
    ).rejects.toBeInstanceOf(SaslRequiredError);
  });
});
