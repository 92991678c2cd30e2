import { parseSecureChannels, type SecureChannels } from '../spice/secure-channels';
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
  return { ...target, secureChannels };
}
