import type { ShareSpec } from '../../channel/mux-loop/loop-messages';
import { displayText } from '../../wire/display-text';

/** Longest path or name shown, in characters of the escaped form (Linux's PATH_MAX). */
const SHOWN_CHARS = 4096;

/**
 * What is shared, for a person: `/srv/x (read-only)`, or `docs=/a, music=/b (read-only)` for several. Paths and
 * names may come from the control socket, so they are escaped (a newline or ESC in them is shown, not acted on).
 */
export function describeShare(share: ShareSpec): string {
  const shown = (text: string) => displayText(text, SHOWN_CHARS);
  if ('shares' in share) {
    return share.shares
      .map((s) => `${shown(s.name)}=${shown(s.path)}${s.readOnly ? ' (read-only)' : ''}`)
      .join(', ');
  }
  return `${shown(share.path)}${share.readOnly ? ' (read-only)' : ''}`;
}

/**
 * A share that failed, for a person: the engine's message, which names the folder ("The folder to share,
 * "/x", does not exist: ..."), or, when it does not (another engine's), the share described before it.
 */
export function describeShareFailure(share: ShareSpec, message: string): string {
  const folders = 'shares' in share ? share.shares.map((s) => s.path) : [share.path];
  const named = folders.some((folder) => folder !== '' && message.includes(JSON.stringify(folder)));
  return named ? message : `cannot share ${describeShare(share)}: ${message}`;
}
