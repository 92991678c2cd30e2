// The main channel links, and then the server says nothing more, or says it out of order. Found by a
// hostile-server review (session 23): a server that never sent MAIN_INIT or CHANNELS_LIST left the CLI waiting
// for ever, without a word; a CHANNELS_LIST before MAIN_INIT was dropped, and the webdav channel never asked for.

import { firstValueFrom, filter, type Subscription } from 'rxjs';

import { channelsList, mainInit, portInit } from '../../../../bench/fake-spice-peer';
import { connectSpice } from '../../../../src/edge/spice/spice-session';
import { ChannelType } from '../../../../src/wire/constants';
import { startFakeSpiceServer, type FakeSpiceServer } from './support/fake-spice-server';

describe('the SPICE session after main has linked', () => {
  let server: FakeSpiceServer | undefined;
  let subscription: Subscription | undefined;

  afterEach(async () => {
    subscription?.unsubscribe();
    await server?.close();
    server = undefined;
  });

  const target = (port: number) => ({ kind: 'tcp' as const, host: '127.0.0.1', port });

  it.each([
    ['no MAIN_INIT', Buffer.alloc(0), 'MAIN_INIT'],
    ['MAIN_INIT but no CHANNELS_LIST', mainInit(), 'CHANNELS_LIST'],
  ])('fails with a protocol error when the server sends %s', async (_what, said, missing) => {
    server = await startFakeSpiceServer(() => ({ onLinked: (socket) => socket.write(said) }));
    const failure = new Promise<unknown>((resolve) => {
      subscription = connectSpice({ target: target(server?.port ?? 0), linkTimeoutMs: 300 }).subscribe({
        error: resolve,
      });
    });
    expect(await failure).toMatchObject({
      reason: 'protocol',
      message: expect.stringContaining(`linked the main channel but sent no ${missing} within 0.3 s`),
    });
  });

  it('takes a CHANNELS_LIST that comes before MAIN_INIT, and links the webdav channel', async () => {
    server = await startFakeSpiceServer(() => ({
      onLinked: (socket, request) => {
        if (request.channelType === ChannelType.MAIN)
          socket.write(Buffer.concat([channelsList(), mainInit()]));
        else socket.write(portInit());
      },
    }));
    // firstValueFrom ends the session (unsubscribes) once the webdav channel is linked.
    const linked = await firstValueFrom(
      connectSpice({ target: target(server.port), linkTimeoutMs: 300 }).pipe(
        filter((event) => event.kind === 'webdav-linked'),
      ),
    );
    expect(linked.kind).toBe('webdav-linked');
    expect(server.links.map((link) => link.channelType)).toContain(ChannelType.WEBDAV);
  });

  it('takes MAIN_INIT once: a server that repeats it gets one "connected", not one per message', async () => {
    server = await startFakeSpiceServer(() => ({
      onLinked: (socket, request) => {
        if (request.channelType === ChannelType.MAIN)
          socket.write(Buffer.concat([...Array.from({ length: 50 }, () => mainInit()), channelsList()]));
        else socket.write(portInit());
      },
    }));
    let linkedMain = 0;
    await firstValueFrom(
      connectSpice({ target: target(server.port), linkTimeoutMs: 300 }).pipe(
        filter((event) => {
          if (event.kind === 'main-linked') linkedMain += 1;
          return event.kind === 'webdav-linked';
        }),
      ),
    );
    expect(linkedMain).toBe(1);
  });
});
