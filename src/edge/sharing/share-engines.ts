import {
  concatMap,
  connect,
  defer,
  filter,
  finalize,
  from,
  merge,
  mergeMap,
  Observable,
  type OperatorFunction,
  of,
  take,
  takeUntil,
  throwError,
} from 'rxjs';
import type { LoopInput, ShareSpec } from '../../channel/mux-loop/loop-messages';
import { DEFAULT_RETIRE_GRACE_MS, type EngineOptions, type WebdavEngine } from '../../webdav/types';
import { commandShapeProblem } from './command-shape';
import type { EngineFactory, ShareRequest } from './engine-factory';
import type { SharingCommand, SharingEvent } from './sharing-types';

type ShareChange = Extract<LoopInput<WebdavEngine>, { kind: 'sharing-started' | 'sharing-stopped' }>;
type ShareFailed = Extract<SharingEvent, { kind: 'share-failed' }>;
type RequestEvent = Extract<SharingEvent, { kind: 'request' }>;

/** What the command stream becomes: share changes for the loop, and events for the user. */
export type SharingStep = ShareChange | ShareFailed | RequestEvent;

export const isShareChange = (step: SharingStep): step is ShareChange =>
  step.kind === 'sharing-started' || step.kind === 'sharing-stopped';

/**
 * The engines' lifecycle as a resource of the command stream. Commands are taken one at a time: the engine
 * for a share is made (the folder checked) before the loop hears of it, and a share that fails leaves the
 * current one in place. A new share or a stop retires the engine it replaces (downloads being sent finish, then
 * it is closed), and a new engine changes nothing until the one before is quiet; unsubscribing closes every
 * engine at once, and an engine whose creation finishes after that is closed at once.
 */
export function shareEngines(
  createEngine: EngineFactory,
  options: EngineOptions | undefined,
): OperatorFunction<SharingCommand, SharingStep> {
  const graceMs = options?.retireGraceMs ?? DEFAULT_RETIRE_GRACE_MS;
  return (commands$) =>
    defer(() => {
      // The engine serving now, and the one serving before it (retired, perhaps still at work).
      let current: WebdavEngine | undefined;
      let previous: WebdavEngine | undefined;
      const handOver = (change: ShareChange): void => {
        if (current !== undefined) previous = current;
        current = change.kind === 'sharing-started' ? change.server : undefined;
        // Each engine has its own namespace lock and temp-file registry: the new one changes nothing until the
        // one before is quiet (its serving retires it on this same change, just after this runs).
        if (current !== undefined && previous !== undefined)
          current.holdUntil?.(quietAfterRetire(previous, graceMs));
      };
      return commands$.pipe(
        concatMap((command) => prepare(command, createEngine, options)),
        connect((prepared$) => {
          const changes$ = prepared$.pipe(filter(isShareChange));
          return merge(
            prepared$.pipe(filter((step): step is ShareFailed => step.kind === 'share-failed')),
            changes$.pipe(
              mergeMap((change) => {
                handOver(change);
                return change.kind === 'sharing-started' ? serving(change, changes$) : of(change);
              }),
            ),
          );
        }),
      );
    });
}

/**
 * Resolves once `engine` is quiet (nothing but the downloads it lets finish runs), at most `graceMs` after its
 * retirement began. Asked a microtask later: its serving retires it in the same emission of the change.
 */
async function quietAfterRetire(engine: WebdavEngine, graceMs: number): Promise<void> {
  await Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
    timer.unref();
  });
  try {
    await Promise.race([engine.quiet?.().catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function prepare(
  command: SharingCommand,
  createEngine: EngineFactory,
  options: EngineOptions | undefined,
): Observable<ShareChange | ShareFailed> {
  const problem = commandShapeProblem(command);
  if (problem !== undefined) return throwError(() => new TypeError(`shareFolder: ${problem}.`));
  if (command.kind === 'stop') return of({ kind: 'sharing-stopped' });
  const share = describeShare(command);
  return new Observable<ShareChange | ShareFailed>((subscriber) => {
    // Not cancelled with the subscriber: an engine made after all is closed, never left open.
    from(createEngine(command, options))
      .pipe(take(1))
      .subscribe({
        next: (engine) => {
          if (subscriber.closed) {
            void engine.close();
            return;
          }
          subscriber.next({ kind: 'sharing-started', share, server: engine });
          subscriber.complete();
        },
        error: (err: unknown) => {
          subscriber.next({ kind: 'share-failed', share, message: errorMessage(err) });
          subscriber.complete();
        },
        complete: () => subscriber.complete(),
      });
  });
}

/**
 * The engine of a share: its `sharing-started`, then its requests. The next share change retires it (every
 * connection ends, but a download or listing being sent finishes, its request still reported); once it has no
 * connection left it is closed, and so it is at once when the whole stream is unsubscribed.
 */
function serving(
  started: Extract<ShareChange, { kind: 'sharing-started' }>,
  changes$: Observable<ShareChange>,
): Observable<SharingStep> {
  const engine = started.server;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= engine.close().catch(() => undefined));
  // An engine that cannot retire (an embedder's, without `retire`) is closed instead.
  const retire = (): Promise<void> =>
    engine.retire === undefined ? close() : engine.retire().catch(() => undefined);
  // The next change retires it; a change after that closes it if it still has a download finishing, so at most
  // one engine is ever retiring (each holds its own stores, up to their limits).
  const ended$ = changes$.pipe(
    take(2),
    mergeMap((_change, index) => from(index === 0 ? retire() : close())),
  );
  return merge(of(started), requestsOf(engine)).pipe(
    takeUntil(ended$),
    finalize(() => void close()),
  );
}

/** Every request an engine finishes, as events. */
export function requestsOf(engine: WebdavEngine): Observable<RequestEvent> {
  return new Observable<RequestEvent>((subscriber) =>
    engine.onRequest((record) => subscriber.next({ kind: 'request', ...record })),
  );
}

/** What the events report as shared: the folder, or the list of named folders. */
function describeShare(command: ShareRequest): ShareSpec {
  if (command.kind === 'share') return { path: command.path, readOnly: command.readOnly ?? false };
  return { shares: command.shares.map(({ name, path, readOnly }) => ({ name, path, readOnly })) };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
