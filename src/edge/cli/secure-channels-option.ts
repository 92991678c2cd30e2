import { ChannelType } from '../../wire/constants';
import { channelName } from '../spice/link-failure';
import { listsChannel, parseSecureChannels, type SecureChannels } from '../spice/secure-channels';
import type { SpiceTarget } from '../spice/target';
import { UsageError } from './usage-error';

/** `--secure-channels LIST` (spice-gtk's names separated by `,` or `;`, or `all`); undefined when not given. */
export function secureChannelsFromOption(value: string | undefined): SecureChannels | undefined {
  if (value === undefined) return undefined;
  const parsed = parseSecureChannels(value);
  if (parsed.kind === 'error') {
    throw new UsageError(`--secure-channels ${JSON.stringify(value)}: ${parsed.message}.`);
  }
  return parsed.value;
}

/** The target with the user's secure-channels list (the command line's wins over a .vv file's). */
export function withSecureChannels(
  target: SpiceTarget,
  secureChannels: SecureChannels | undefined,
): SpiceTarget {
  if (secureChannels === undefined) return target;
  if (target.kind === 'unix') {
    throw new UsageError('--secure-channels does not apply to a unix socket: it never leaves this machine.');
  }
  if (target.tlsPort === undefined) {
    // Checked here, before connecting: found after the main channel linked, it took the VM's one SPICE
    // session away from an open viewer only to fail.
    const needed = [ChannelType.MAIN, ChannelType.WEBDAV].filter((type) =>
      listsChannel(secureChannels, type),
    );
    if (needed.length > 0)
      throw new UsageError(
        `--secure-channels requires TLS for the ${needed.map(channelName).join(' and ')} channel, and no TLS ` +
          "port is known: give the VM's SPICE tls-port (--tls-port, tls-port= in the URI or the .vv file) with " +
          'its CA certificate (--ca-file).',
      );
  }
  return { ...target, secureChannels };
}
