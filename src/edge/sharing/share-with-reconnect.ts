import { defer, finalize, type Observable, startWith } from 'rxjs';
import { withReconnect } from './reconnect';
import type { SharingCommand, SharingEvent, SpiceShareOptions } from './sharing-types';

/** The options that share a folder as soon as the channel is up; a later command replaces them. */
const INITIAL_SHARE_KEYS = ['share', 'shares'];

/**
 * shareFolder with `options.reconnect`: each attempt is a fresh shareFolder run (new SPICE session, new loop,
 * new engine). What the guest sees after a reconnect is what it saw before: the last share command sent at
 * run time is replayed; if there was none, the initial share of the options applies again.
 */
export function shareWithReconnect(
  options: SpiceShareOptions,
  commands$: Observable<SharingCommand>,
  shareOnce: (options: SpiceShareOptions, commands$: Observable<SharingCommand>) => Observable<SharingEvent>,
): Observable<SharingEvent> {
  return defer(() => {
    const reconnect = options.reconnect ?? { mode: 'off' };
    const once: SpiceShareOptions = { ...options, reconnect: undefined };
    let lastCommand: SharingCommand | undefined;
    const tracking = commands$.subscribe((command) => {
      lastCommand = command;
    });
    return withReconnect<SharingEvent>(
      (attempt) => {
        const replay = attempt === 0 ? undefined : lastCommand;
        if (replay === undefined) return shareOnce(once, commands$);
        return shareOnce(withoutInitialShare(once), commands$.pipe(startWith(replay)));
      },
      reconnect,
      (event) => event.kind === 'channel-ready',
    ).pipe(finalize(() => tracking.unsubscribe()));
  });
}

function withoutInitialShare(options: SpiceShareOptions): SpiceShareOptions {
  const copy: Record<string, unknown> = { ...options };
  for (const key of INITIAL_SHARE_KEYS) delete copy[key];
  return copy as unknown as SpiceShareOptions;
}
