import { channelName } from './link-failure';
import { describeEndpoint, type SpiceEndpoint } from './target';

/**
 * A linked channel's socket ended (EOF, or reset by the peer). Not user-facing by itself: the session decides
 * whether that means "kicked by another client" or "the server went away" (spice-session.ts).
 */
export class ChannelClosedError extends Error {
  constructor(
    readonly channelType: number,
    readonly endpoint: SpiceEndpoint,
    readonly how: 'eof' | 'reset',
    options?: { cause?: unknown },
  ) {
    super(
      `the server closed the ${channelName(channelType)} channel (${describeEndpoint(endpoint)}${how === 'reset' ? ', connection reset' : ''})`,
      options,
    );
    this.name = 'ChannelClosedError';
  }
}
