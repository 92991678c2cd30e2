import type { LinkError } from '../../wire/errors';
import { SpiceConnectionError } from './errors';
import { channelName } from './link-failure';
import { describeEndpoint, type SpiceEndpoint } from './target';

/** The user's secure-channels list names this channel, and there is no TLS port to link it on. */
export function needsTlsPortError(channelType: number): SpiceConnectionError {
  const channel = channelName(channelType);
  return new SpiceConnectionError(
    'tls',
    `The secure-channels list requires TLS for the ${channel} channel, and no TLS port is known: give the VM's SPICE tls-port (--tls-port, tls-port= in the URI or the .vv file) with its CA certificate (--ca-file).`,
  );
}

/**
 * The TLS port refused this channel (the server is configured to carry it in clear). We never fall back to the
 * plain port by ourselves: that would send the password in clear. Say how to allow it.
 */
export function needUnsecuredError(
  channelType: number,
  endpoint: SpiceEndpoint,
  cause: LinkError,
): SpiceConnectionError {
  const channel = channelName(channelType);
  return new SpiceConnectionError(
    'tls',
    `The SPICE server does not allow TLS for the ${channel} channel (${describeEndpoint(endpoint)}: ${cause.codeName}), and spice-webdav sends the password only over TLS when a TLS port is known. To let the ${channel} channel use the plain port, name only the channels that need TLS with --secure-channels (leaving out ${channel}), or connect without the TLS port.`,
    { cause },
  );
}
