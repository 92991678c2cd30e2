// Where openChannel sends the password, against the fake server as the plain port: nothing when the TLS port
// must be used, and no ticket after a NEED_SECURED answer. (TLS itself: spec/qemu/tls-first.spec.ts.)

import * as net from 'node:net';
import { lastValueFrom, type Observable } from 'rxjs';

import { openChannel, type ChannelEvent } from '../../../../src/edge/spice/spice-channel';
import type { SpiceTarget } from '../../../../src/edge/spice/target';
import { ChannelType, LinkErrorCode } from '../../../../src/wire/constants';
import { startFakeSpiceServer, type FakeSpiceServer } from './support/fake-spice-server';

function failureOf(events: Observable<ChannelEvent>): Promise<unknown> {
  return lastValueFrom(events).then(
    () => new Error('completed instead of failing'),
    (error: unknown) => error,
  );
}

/** A loopback port nobody listens on: bound, then closed again. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

describe('openChannel keeps the password off the plain port', () => {
  let plain: FakeSpiceServer | undefined;

  afterEach(async () => {
    await plain?.close();
    plain = undefined;
  });

  function link(target: SpiceTarget, channelType: number = ChannelType.MAIN): Promise<unknown> {
    return failureOf(
      openChannel({ target, channelType, connectionId: 0, maxBodySize: 1 << 20, password: 'secret' }),
    );
  }

  it('does not touch the plain port when a TLS port is known (the TLS port failing is an error)', async () => {
    plain = await startFakeSpiceServer(() => ({}));
    const tlsPort = await closedPort();
    const error = await link({ kind: 'tcp', host: '127.0.0.1', port: plain.port, tlsPort });
    expect(error).toMatchObject({ reason: 'refused' });
    expect((error as Error).message).toContain(`tls-port=${tlsPort}`);
    expect(plain.sockets).toHaveLength(0);
  });

  it('sends no ticket on a plain link answered with NEED_SECURED, and moves to the TLS port', async () => {
    plain = await startFakeSpiceServer(() => ({ replyError: LinkErrorCode.NEED_SECURED }));
    const tlsPort = await closedPort();
    const error = await link(
      { kind: 'tcp', host: '127.0.0.1', port: plain.port, tlsPort, secureChannels: ['main'] },
      ChannelType.WEBDAV,
    );
    expect(plain.links.map((request) => request.channelType)).toEqual([ChannelType.WEBDAV]);
    expect(plain.tickets).toEqual([]);
    expect(error).toMatchObject({ reason: 'refused' });
    expect((error as Error).message).toContain(`tls-port=${tlsPort}`);
  });

  it('refuses, without connecting, a channel the list requires TLS for when no TLS port is known', async () => {
    plain = await startFakeSpiceServer(() => ({}));
    const error = await link({ kind: 'tcp', host: '127.0.0.1', port: plain.port, secureChannels: 'all' });
    expect(error).toMatchObject({ reason: 'tls' });
    expect((error as Error).message).toMatch(/requires TLS for the main channel.*--tls-port/);
    expect(plain.sockets).toHaveLength(0);
  });
});
