import { NEVER, type Observable, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import { shareWithReconnect } from '../../../../src/edge/sharing/share-with-reconnect';
import type {
  SharingCommand,
  SharingEvent,
  SpiceShareOptions,
} from '../../../../src/edge/sharing/sharing-types';

const endpoint = { kind: 'tcp', host: '127.0.0.1', port: 5900, secure: false } as const;
const options = {
  target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
  share: { path: '/one' },
  reconnect: { mode: 'after-loss', initialDelayMs: 2, maxDelayMs: 2 },
} as unknown as SpiceShareOptions;

describe('shareWithReconnect', () => {
  const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  // A share command that failed changed nothing; replayed after a reconnect it left the guest with nothing
  // shared (503) while `status` still named the folder shared before (session 22).
  it('replays what was shared, not a command that failed', () => {
    const runs: Array<{ initialShare: SpiceShareOptions['share']; first: SharingCommand | undefined }> = [];
    scheduler().run(({ cold, hot, expectObservable }) => {
      const commands$ = hot<SharingCommand>('--t-g', {
        t: { kind: 'share', path: '/two', readOnly: true },
        g: { kind: 'share', path: '/gone' },
      });
      const firstRun = cold<SharingEvent>(
        'r-s-f-#',
        {
          r: { kind: 'channel-ready', endpoint, lz4: false },
          s: { kind: 'sharing-started', share: { path: '/two', readOnly: true } },
          f: { kind: 'share-failed', share: { path: '/gone', readOnly: false }, message: 'no such folder' },
        },
        new SpiceConnectionError('server-gone', 'the server went away'),
      );
      const shareOnce = (once: SpiceShareOptions, commands: Observable<SharingCommand>) => {
        const run = {
          initialShare: once.share,
          first: undefined as SharingCommand | undefined,
        };
        runs.push(run);
        commands.pipe(take(1)).subscribe((command) => (run.first = command));
        return runs.length === 1 ? firstRun : NEVER;
      };
      expectObservable(shareWithReconnect(options, commands$, shareOnce), '^-----------!').toBe(
        'r-s-f-a-----',
        {
          r: { kind: 'channel-ready', endpoint, lz4: false },
          s: { kind: 'sharing-started', share: { path: '/two', readOnly: true } },
          f: { kind: 'share-failed', share: { path: '/gone', readOnly: false }, message: 'no such folder' },
          a: expect.objectContaining({ kind: 'reconnecting' }),
        },
      );
    });
    // The second attempt shares '/two' once its webdav channel is up, as the first shared '/one': not as a
    // command run at once, which announced "sharing" before the connection (a reviewer saw it, then a refusal).
    expect(runs).toEqual([
      { initialShare: { path: '/one' }, first: { kind: 'share', path: '/two', readOnly: true } },
      { initialShare: { path: '/two', readOnly: true }, first: undefined },
    ]);
  });
});
