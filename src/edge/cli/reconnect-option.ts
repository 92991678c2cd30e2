import type { ReconnectMode } from '../sharing/reconnect';
import { UsageError } from './usage-error';

/**
 * --reconnect: absent → 'off'; bare `--reconnect` → 'after-loss' (server gone, connection cut, never after
 * another SPICE client took over); `--reconnect=always` → also after that.
 */
export function reconnectModeFromOption(value: string | undefined): ReconnectMode {
  if (value === undefined) return 'off';
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'true' || text === 'after-loss') return 'after-loss';
  if (text === 'always') return 'always';
  if (text === 'off' || text === 'never' || text === 'false') return 'off';
  throw new UsageError(
    `--reconnect=${value} is not a choice: use --reconnect (after the server went away or the connection was cut) ` +
      'or --reconnect=always (also after another SPICE client took over, for a VM nobody views).',
  );
}
