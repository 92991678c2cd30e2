import { ChannelType } from '../../wire/constants';
import { displayText } from '../../wire/display-text';

/** spice-gtk's channel names (`--spice-secure-channels`, a .vv file's `secure-channels=`). */
export const SPICE_CHANNEL_NAMES = [
  'main',
  'display',
  'inputs',
  'cursor',
  'playback',
  'record',
  'tunnel',
  'smartcard',
  'usbredir',
  'port',
  'webdav',
] as const;
export type SpiceChannelName = (typeof SPICE_CHANNEL_NAMES)[number];

/**
 * Which channels must link over TLS, as the user said it: `'all'`, or the named channels (spice-gtk's
 * secure-channels). Absent means "not said": with a TLS port known, every channel then uses TLS (routeChannel).
 */
export type SecureChannels = 'all' | readonly SpiceChannelName[];

export type SecureChannelsParse =
  | { readonly kind: 'ok'; readonly value: SecureChannels }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Parses a secure-channels list: names separated by `;` (a .vv file's GLib list) or `,` (a command-line
 * option), or `all`. An unknown name is an error rather than ignored: a misspelt "webdav" would otherwise
 * quietly let the password travel in clear.
 */
export function parseSecureChannels(text: string): SecureChannelsParse {
  const names = text
    .split(/[;,]/)
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) {
    return { kind: 'error', message: `it names no channel (give channel names or all)` };
  }
  if (names.includes('all')) return { kind: 'ok', value: 'all' };
  const channels: SpiceChannelName[] = [];
  for (const name of names) {
    const known = SPICE_CHANNEL_NAMES.find((candidate) => candidate === name);
    if (known === undefined) {
      return {
        kind: 'error',
        message: `"${displayText(name)}" is not a SPICE channel (known: all, ${SPICE_CHANNEL_NAMES.join(', ')})`,
      };
    }
    if (!channels.includes(known)) channels.push(known);
  }
  return { kind: 'ok', value: channels };
}

const channelNameByType: ReadonlyMap<number, SpiceChannelName> = new Map(
  SPICE_CHANNEL_NAMES.map((name) => [ChannelType[name.toUpperCase() as Uppercase<SpiceChannelName>], name]),
);

/** The spice-gtk name of a channel type (undefined for a type SPICE does not define). */
export function spiceChannelName(channelType: number): SpiceChannelName | undefined {
  return channelNameByType.get(channelType);
}

/** Whether the user's secure-channels list (if any) names this channel, directly or through `all`. */
export function listsChannel(secureChannels: SecureChannels | undefined, channelType: number): boolean {
  if (secureChannels === undefined) return false;
  if (secureChannels === 'all') return true;
  const name = spiceChannelName(channelType);
  return name !== undefined && secureChannels.includes(name);
}
