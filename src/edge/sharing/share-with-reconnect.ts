import { defer, type Observable, startWith, tap } from 'rxjs';
import { withReconnect } from './reconnect';
import type { SharingCommand, SharingEvent, SpiceShareOptions } from './sharing-types';

/** The options that share a folder as soon as the channel is up; a later command replaces them. */
const INITIAL_SHARE_KEYS = ['share', 'shares'];

/**
 * shareFolder with `options.reconnect`: each attempt is a fresh shareFolder run (new SPICE session, new loop,
 * new engine). What the guest sees after a reconnect is what it saw before: what was last shared becomes the
 * attempt's initial share (a stop is replayed as a command); if nothing was, the options' own applies again. A command that
 * failed changed nothing, so it is not replayed (it was, until session 22, and the guest then got 503 after
 * a reconnect while `status` still named the folder shared before).
 */
export function shareWithReconnect(
  options: SpiceShareOptions,
  commands$: Observable<SharingCommand>,
  shareOnce: (options: SpiceShareOptions, commands$: Observable<SharingCommand>) => Observable<SharingEvent>,
): Observable<SharingEvent> {
  return defer(() => {
    const reconnect = options.reconnect ?? { mode: 'off' };
    const once: SpiceShareOptions = { ...options, reconnect: undefined };
    let shared: SharingCommand | undefined;
    return withReconnect<SharingEvent>(
      (attempt) => {
        const replay = attempt === 0 ? undefined : shared;
        // What was shared comes back as the attempt's initial share, which waits for the webdav channel: as a
        // command it ran at once, and "sharing" was announced before the connection it may yet fail to make.
        const run =
          replay === undefined
            ? shareOnce(once, commands$)
            : replay.kind === 'stop'
              ? shareOnce(withoutInitialShare(once), commands$.pipe(startWith(replay)))
              : shareOnce(withInitialShare(once, replay), commands$);
        return run.pipe(
          tap((event) => {
            shared = commandThatShares(event) ?? shared;
          }),
        );
      },
      reconnect,
      (event) => event.kind === 'channel-ready',
    );
  });
}

function withoutInitialShare(options: SpiceShareOptions): SpiceShareOptions {
  const copy: Record<string, unknown> = { ...options };
  for (const key of INITIAL_SHARE_KEYS) delete copy[key];
  return copy as unknown as SpiceShareOptions;
}

/** The options with `command`'s folders as their initial share, instead of the options' own. */
function withInitialShare(
  options: SpiceShareOptions,
  command: Extract<SharingCommand, { kind: 'share' | 'share-folders' }>,
): SpiceShareOptions {
  const without = withoutInitialShare(options);
  return command.kind === 'share'
    ? { ...without, share: { path: command.path, readOnly: command.readOnly ?? false } }
    : { ...without, shares: command.shares };
}

/** The command that makes the guest see what `event` says it now sees; undefined for any other event. */
function commandThatShares(event: SharingEvent): SharingCommand | undefined {
  if (event.kind === 'sharing-stopped') return { kind: 'stop' };
  if (event.kind !== 'sharing-started') return undefined;
  const spec = event.share;
  return 'shares' in spec
    ? { kind: 'share-folders', shares: spec.shares }
    : { kind: 'share', path: spec.path, readOnly: spec.readOnly };
}
