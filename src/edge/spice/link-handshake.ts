import type { Socket } from 'node:net';

import { AuthMechanism, CommonCap, SPICE_VERSION_MAJOR } from '../../wire/constants';
import { hasCap } from '../../wire/caps';
import type { HeaderKind } from '../../wire/data-header';
import { WireError, linkErrorFor } from '../../wire/errors';
import {
  LINK_HEADER_SIZE,
  decodeLinkHeader,
  decodeLinkReply,
  decodeLinkResult,
  encodeAuthMechanism,
  encodeLinkMessage,
  selectAuthMechanism,
} from '../../wire/link';
import { encryptTicket } from '../../wire/ticket';
import { SocketReader } from './socket-reader';

export interface LinkRequest {
  /** 0 on the main channel, the session id from MAIN_INIT on every other channel. */
  connectionId: number;
  channelType: number;
  channelId: number;
  /** The SPICE password; empty or absent sends the empty ticket, which a server without ticketing accepts. */
  password?: string;
  /** Channel capability bit numbers to advertise. None by default (webdav's LZ4: webdav-caps.ts). */
  channelCaps?: readonly number[];
}

export interface LinkOutcome {
  /** The data header both sides use from now on: mini when the server advertised MINI_HEADER (we always do). */
  headerKind: HeaderKind;
  serverCommonCaps: number[];
  serverChannelCaps: number[];
  /** Bytes that arrived after the link result (data messages); the framer must see them first. */
  leftover: Buffer;
  /** Set when the socket already ended while we read the link result. */
  ended: Error | 'eof' | undefined;
}

/** The common caps every link advertises: auth selection (so we pick the ticket) and mini headers. */
const CLIENT_COMMON_CAPS = [CommonCap.AUTH_SELECTION, CommonCap.MINI_HEADER];

/**
 * Run the whole link handshake of one channel over a connected socket (docs/spice-webdav-protocol.md section 1):
 * link message → link reply → auth mechanism SPICE + RSA-OAEP ticket → 4-byte result.
 *
 * Throws (callers map these to user-facing errors with the channel and endpoint in hand):
 * - LinkError when the reply's error field or the link result is not OK (NEED_SECURED, PERMISSION_DENIED, ...);
 *   SaslRequiredError when the server only offers SASL; PasswordTooLongError for an over-long password;
 * - EndOfStreamError when the server closes before answering; for a non-main channel that means the channel
 *   does not exist (spice-server closes without a reply);
 * - WireError when the reply is not SPICE.
 */
export async function linkChannel(socket: Socket, request: LinkRequest): Promise<LinkOutcome> {
  const reader = new SocketReader(socket);
  try {
    socket.write(
      encodeLinkMessage({
        connectionId: request.connectionId,
        channelType: request.channelType,
        channelId: request.channelId,
        commonCaps: CLIENT_COMMON_CAPS,
        channelCaps: [...(request.channelCaps ?? [])],
      }),
    );

    const header = decodeLinkHeader(await reader.read(LINK_HEADER_SIZE));
    if (header.major !== SPICE_VERSION_MAJOR) {
      throw new WireError(
        'unsupported',
        `the server speaks SPICE protocol ${header.major}.${header.minor}, not 2.x`,
      );
    }
    const reply = decodeLinkReply(await reader.read(header.size));
    if (reply.error !== 0) throw linkErrorFor(reply.error);

    selectAuthMechanism(reply.commonCaps);
    const ticket = encryptTicket(reply.publicKey, request.password ?? '');
    // Mechanism and ticket in one write, as spice-html5 does: the server reads them back to back.
    socket.write(Buffer.concat([encodeAuthMechanism(AuthMechanism.SPICE), ticket]));

    const result = decodeLinkResult(await reader.read(4));
    if (result !== 0) throw linkErrorFor(result);

    const { leftover, ended } = reader.detach();
    return {
      headerKind: hasCap(reply.commonCaps, CommonCap.MINI_HEADER) ? 'mini' : 'full',
      serverCommonCaps: reply.commonCaps,
      serverChannelCaps: reply.channelCaps,
      leftover,
      ended,
    };
  } finally {
    // Idempotent; on failure the caller destroys the socket anyway.
    reader.detach();
  }
}
