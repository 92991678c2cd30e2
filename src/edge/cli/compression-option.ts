import { COMPRESSION_MODES, type CompressionMode } from '../spice/webdav-caps';
import { UsageError } from './usage-error';

/** --compression auto|on|off (absent: auto). */
export function compressionModeFromOption(value: string | undefined): CompressionMode {
  if (value === undefined) return 'auto';
  const text = value.trim().toLowerCase();
  if (text === '') throw new UsageError('--compression needs a value: auto, on or off.');
  const mode = COMPRESSION_MODES.find((candidate) => candidate === text);
  if (mode !== undefined) return mode;
  throw new UsageError(
    `--compression ${value} is not a choice: use auto (LZ4 from the server only over a link that leaves this ` +
      'machine, the default), on (always ask for it) or off (never).',
  );
}
