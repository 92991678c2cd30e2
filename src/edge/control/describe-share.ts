import type { ShareSpec } from '../../channel/mux-loop/loop-messages';

/** What is shared, for a person: `/srv/x (read-only)`, or `docs=/a, music=/b (read-only)` for several. */
export function describeShare(share: ShareSpec): string {
  if ('shares' in share) {
    return share.shares.map((s) => `${s.name}=${s.path}${s.readOnly ? ' (read-only)' : ''}`).join(', ');
  }
  return `${share.path}${share.readOnly ? ' (read-only)' : ''}`;
}
