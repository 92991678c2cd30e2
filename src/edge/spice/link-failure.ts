import { ChannelType, LinkErrorCode } from '../../wire/constants';
import { LinkError, PasswordTooLongError, SaslRequiredError, WireError } from '../../wire/errors';
import { SpiceConnectionError, noWebdavPortError } from './errors';
import { EndOfStreamError } from './socket-reader';
import { describeEndpoint, type SpiceEndpoint } from './target';

const channelNames: ReadonlyMap<number, string> = new Map(
  Object.entries(ChannelType).map(([name, type]) => [type, name.toLowerCase()]),
);

export function channelName(channelType: number): string {
  return channelNames.get(channelType) ?? `type-${channelType}`;
}

/** The handshake took too long: the peer accepted TCP but does not answer like a SPICE server. */
export class LinkTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no link reply within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'LinkTimeoutError';
  }
}

function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/**
 * Turn whatever linkChannel threw into the user-facing SpiceConnectionError, using what only the caller
 * knows: which channel it was and where we connected. NEED_SECURED is handled before this (retry on TLS).
 */
export function classifyLinkFailure(
  error: unknown,
  channelType: number,
  endpoint: SpiceEndpoint,
  passwordGiven = true,
): SpiceConnectionError {
  if (error instanceof SpiceConnectionError) return error;
  const where = describeEndpoint(endpoint);
  const channel = channelName(channelType);
  if (error instanceof LinkError) {
    const message = `${capitalize(error.message)} (${channel} channel at ${where}: ${error.codeName}).`;
    switch (error.code) {
      case LinkErrorCode.PERMISSION_DENIED:
        // Without a password there was nothing to refuse: the server wants one (the CLI words it its own way).
        return new SpiceConnectionError(
          'auth',
          passwordGiven
            ? message
            : `The SPICE server needs a password and none was given: pass it as the \`password\` option (${channel} channel at ${where}: ${error.codeName}).`,
          { cause: error },
        );
      case LinkErrorCode.NEED_SECURED:
      case LinkErrorCode.NEED_UNSECURED:
        return new SpiceConnectionError('tls', message, { cause: error });
      case LinkErrorCode.BAD_CONNECTION_ID:
        return new SpiceConnectionError('kicked', message, { cause: error });
      default:
        // SaslRequiredError is a LinkError too: an authentication problem the user must fix on the VM.
        return new SpiceConnectionError(error instanceof SaslRequiredError ? 'auth' : 'protocol', message, {
          cause: error,
        });
    }
  }
  if (error instanceof PasswordTooLongError) {
    return new SpiceConnectionError('auth', `${capitalize(error.message)}.`, { cause: error });
  }
  if (error instanceof EndOfStreamError) {
    if (channelType === ChannelType.WEBDAV) {
      return noWebdavPortError(`the server at ${where} closed the webdav channel link without an answer`);
    }
    if (channelType === ChannelType.MAIN) {
      return new SpiceConnectionError(
        'protocol',
        `${where} closed the connection during the SPICE handshake (${error.message}): is this QEMU's SPICE port (not its TLS port: give that with --tls-port or ?tls-port=), and is the VM still running?`,
        { cause: error },
      );
    }
    return new SpiceConnectionError(
      'protocol',
      `The server at ${where} closed the ${channel} channel link without an answer: the VM has no such channel.`,
      { cause: error },
    );
  }
  if (error instanceof LinkTimeoutError) {
    return new SpiceConnectionError(
      'protocol',
      `${where} accepted the connection but sent ${error.message} for the ${channel} channel: is this a SPICE port?`,
      { cause: error },
    );
  }
  if (error instanceof WireError) {
    return new SpiceConnectionError(
      'protocol',
      `${where} answered the ${channel} channel link with something that is not SPICE (${error.message}): is this QEMU's SPICE port?`,
      { cause: error },
    );
  }
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  return new SpiceConnectionError('protocol', `The ${channel} channel link to ${where} failed: ${message}.`, {
    cause: error,
  });
}
