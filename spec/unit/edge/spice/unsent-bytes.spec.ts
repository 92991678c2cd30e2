// A server that stops reading (its guest does not read the port) while the guest goes on opening connections
// past the limit: each refusal is a close frame with no credit behind it, so nothing but the socket's own
// buffer held them, and it grew without bound (734 MiB for 20 MiB from the guest, an attacker's finding in
// session 22). Reading pauses while more than UNSENT_BYTES_READING_PAUSES wait to be sent, and resumes once
// the server has taken them. Checked by the socket's state, never by timing.

import type * as net from 'node:net';
import type { Subscription } from 'rxjs';

import {
  openChannel,
  UNSENT_BYTES_READING_PAUSES,
  type LinkedChannel,
} from '../../../../src/edge/spice/spice-channel';
import { BaseClientMsg, ChannelType } from '../../../../src/wire/constants';
import { startFakeSpiceServer, type FakeSpiceServer } from './support/fake-spice-server';
import { until } from '../../webdav/support/until';

describe('bytes waiting to be sent to a server that does not read', () => {
  let server: FakeSpiceServer | undefined;
  let subscription: Subscription | undefined;

  afterEach(async () => {
    subscription?.unsubscribe();
    await server?.close();
    server = undefined;
  });

  it('pause reading above the bound, and reading resumes once the server took them', async () => {
    let serverSocket: net.Socket | undefined;
    server = await startFakeSpiceServer(() => ({ onLinked: (socket) => (serverSocket = socket) }));
    let clientSocket: net.Socket | undefined;
    let link: LinkedChannel | undefined;
    subscription = openChannel({
      target: { kind: 'tcp', host: '127.0.0.1', port: server.port },
      channelType: ChannelType.MAIN,
      connectionId: 0,
      maxBodySize: 1 << 20,
      onSocket: (socket) => (clientSocket = socket),
    }).subscribe({
      next: (event) => {
        if (event.kind === 'linked') link = event;
      },
    });
    await until(() => link !== undefined && serverSocket !== undefined);
    serverSocket?.pause();

    // Small messages without a credit, as refusals are, a little at a time, until past the bound.
    const frame = { type: BaseClientMsg.ACK, body: Buffer.alloc(64 * 1024 - 6) };
    while ((clientSocket?.writableLength ?? 0) <= UNSENT_BYTES_READING_PAUSES) link?.sendAll([frame, frame]);
    expect(clientSocket?.isPaused()).toBe(true);
    expect(link?.heldReplies()).toBe(0); // paused for the unsent bytes alone, not for a held reply

    serverSocket?.resume();
    await until(() => clientSocket?.writableLength === 0 && clientSocket.isPaused() === false, 10_000);
  });
});
