import {
  concatMap,
  defer,
  EMPTY,
  filter,
  finalize,
  from,
  map,
  merge,
  mergeMap,
  NEVER,
  type Observable,
  of,
  share,
  Subject,
  take,
  tap,
  catchError,
} from 'rxjs';
import { DEFAULT_LOOP_LIMITS } from '../../channel/mux-loop/loop-limits';
import type { LoopInput, SessionKey, ShareSpec } from '../../channel/mux-loop/loop-messages';
import { frameParts } from '../../channel/mux-loop/reduce-loop';
import { selectLoop, type EdgeEffect, type SessionFactory } from '../../channel/mux-loop/select-loop';
import { createUnavailableEngine, createWebdavEngine } from '../../webdav';
import { generatedResponseServerFromEnv } from '../../webdav/session/generated-response-server';
import { httpSessionFactory } from '../../webdav/session/webdav-mux-session';
import type { WebdavEngine } from '../../webdav/types';
import { connectSpice, type SessionEvent, type WebdavLink } from '../spice/spice-session';
import { createMultiShareEngine } from '../../webdav/multi-share';
import { announcedLength } from './announced-length';
import { FlushTracker } from './flush-tracker';
import { loopTicks } from './loop-ticks';
import { shareWithReconnect } from './share-with-reconnect';
import type {
  SharingCommand,
  SharingEvent,
  ShareFolderOptions,
  SpiceShareOptions,
  TrafficEvent,
} from './sharing-types';
import { shareLibvirtDomain } from '../libvirt/share-libvirt-domain';

/** The guest's 503 body completes "No folder is shared right now: " with this. */
export const NOTHING_SHARED =
  'on the host, start spice-webdav with --share-dir DIR (or send it a share command).';

/**
 * Shares a host folder into the VM: connects to the SPICE server, runs the select loop over the webdav channel
 * and serves each guest connection from the WebDAV engine. Commands in, events out; unsubscribing tears
 * everything down (sockets, sessions, the engine).
 */
export function shareFolder(
  shareOptions: ShareFolderOptions,
  commands$: Observable<SharingCommand> = NEVER,
): Observable<SharingEvent> {
  const target = shareOptions.target;
  if (target.kind === 'libvirt')
    return shareLibvirtDomain({ ...shareOptions, target }, commands$, shareFolder);
  const options: SpiceShareOptions = { ...shareOptions, target };
  if (options.reconnect !== undefined && options.reconnect.mode !== 'off')
    return shareWithReconnect(options, commands$, shareFolder);
  return defer(() => {
    const events = new Subject<SharingEvent>();
    const unavailable = createUnavailableEngine(NOTHING_SHARED);
    let engine: WebdavEngine = unavailable;
    let stopListening: () => void = () => undefined;
    let link: WebdavLink | undefined;
    const flushes = new FlushTracker();

    const session$ = connectSpice(options).pipe(share());
    const ready$ = session$.pipe(
      filter((e): e is Extract<SessionEvent, { kind: 'webdav-linked' }> => e.kind === 'webdav-linked'),
      take(1),
    );

    const swapEngine = (next: WebdavEngine): void => {
      const previous = engine;
      engine = next;
      stopListening();
      stopListening = next.onRequest((record) => events.next({ kind: 'request', ...record }));
      if (previous !== unavailable) void previous.close();
    };

    // Share requests are handled one at a time: the engine checks the folder before the loop hears of it.
    const startShare$ = ready$.pipe(
      mergeMap(() =>
        options.shares !== undefined && options.shares.length > 0
          ? of<SharingCommand>({ kind: 'share-folders', shares: options.shares })
          : options.share === undefined
            ? EMPTY
            : of<SharingCommand>({ kind: 'share', ...options.share }),
      ),
    );
    const sharingInputs$: Observable<LoopInput> = merge(startShare$, commands$).pipe(
      concatMap((command): Observable<LoopInput> => {
        if (command.kind === 'stop') {
          swapEngine(unavailable);
          return of({ kind: 'sharing-stopped' });
        }
        const share = describeShare(command);
        const created$ =
          command.kind === 'share-folders'
            ? from(createMultiShareEngine(command.shares, options.engine))
            : from(
                createWebdavEngine(
                  { root: command.path, readOnly: command.readOnly ?? false },
                  options.engine,
                ),
              );
        return created$.pipe(
          map((created): LoopInput => {
            swapEngine(created);
            return { kind: 'sharing-started', share };
          }),
          catchError((err: unknown) => {
            events.next({ kind: 'share-failed', path: sharedPaths(share), message: errorMessage(err) });
            return EMPTY;
          }),
        );
      }),
    );

    const channelInputs$: Observable<LoopInput> = session$.pipe(
      mergeMap((event): Observable<LoopInput> => {
        switch (event.kind) {
          case 'connecting':
            events.next({ kind: 'connecting', target: event.target });
            return EMPTY;
          case 'main-linked':
            events.next({ kind: 'connected', sessionId: event.sessionId, endpoint: event.endpoint });
            return EMPTY;
          case 'webdav-linked':
            link = event;
            flushes.attach(event.drained$);
            events.next({ kind: 'channel-ready', endpoint: event.endpoint });
            return EMPTY;
          case 'port-init':
            return event.opened ? of({ kind: 'port-opened' }) : EMPTY;
          case 'port-event':
            if (event.event === 'opened') return of({ kind: 'port-opened' });
            if (event.event === 'closed') return of({ kind: 'port-closed' });
            return EMPTY;
          case 'vmc-data':
            return of({ kind: 'vmc-data', data: event.data });
          case 'notify':
            events.next({ kind: 'server-notice', message: event.message });
            return EMPTY;
          default:
            return EMPTY;
        }
      }),
    );

    const limits = { ...DEFAULT_LOOP_LIMITS, ...options.limits };
    const rawChannelServer = generatedResponseServerFromEnv(process.env);
    const loop$ = selectLoop(
      merge(channelInputs$, sharingInputs$, flushes.flushed$, loopTicks(limits.tickMs)),
      // The benchmark's raw-channel mode (bench/run.ts) answers with generated bytes instead of the engine.
      countIncoming(
        httpSessionFactory(rawChannelServer === undefined ? () => engine : () => rawChannelServer),
        (event) => events.next(event),
      ),
      limits,
    ).pipe(
      mergeMap((effect: EdgeEffect): Observable<SharingEvent> => {
        switch (effect.kind) {
          case 'send-frame':
            sendFrame(effect.payload.length === 0 ? undefined : effect.key, frameParts(effect));
            return effect.payload.length === 0 ? EMPTY : of(traffic(effect.id, 'out', effect.payload));
          case 'pause-reading':
            link?.pauseReading();
            return EMPTY;
          case 'resume-reading':
            link?.resumeReading();
            return EMPTY;
          case 'event':
            return of(effect.event);
        }
      }),
    );

    function sendFrame(key: SessionKey | undefined, parts: readonly Buffer[]): void {
      if (link === undefined) return;
      const belowHighWater = link.sendData(parts);
      if (key !== undefined) flushes.sent(key, belowHighWater);
    }

    return merge(events, loop$).pipe(
      finalize(() => {
        flushes.detach();
        stopListening();
        void engine.close();
        void unavailable.close();
      }),
    );
  });
}

/** What the events report as shared: the folder, or the list of named folders. */
function describeShare(command: Exclude<SharingCommand, { kind: 'stop' }>): ShareSpec {
  if (command.kind === 'share') return { path: command.path, readOnly: command.readOnly ?? false };
  return { shares: command.shares.map(({ name, path, readOnly }) => ({ name, path, readOnly })) };
}

/** The folder(s) a failed share named, for the share-failed event. */
function sharedPaths(share: ShareSpec): string {
  return 'shares' in share ? share.shares.map((s) => s.path).join(', ') : share.path;
}

function traffic(id: string, direction: 'in' | 'out', payload: Buffer): TrafficEvent {
  const announced = announcedLength(payload);
  return {
    kind: 'traffic',
    id,
    direction,
    bytes: payload.length,
    ...(announced === undefined ? {} : { announcedBytes: announced }),
  };
}

/** Reports the guest's request bytes of every session as traffic events, as they are handed to the session. */
function countIncoming(factory: SessionFactory, report: (event: TrafficEvent) => void): SessionFactory {
  return (key, input$) =>
    factory(
      key,
      input$.pipe(
        tap((input) => {
          if (input.kind === 'request-data') report(traffic(key.id, 'in', input.data));
        }),
      ),
    );
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
