import {
  connect,
  defer,
  EMPTY,
  filter,
  finalize,
  merge,
  mergeMap,
  NEVER,
  type Observable,
  of,
  take,
  takeUntil,
  throwError,
} from 'rxjs';
import { mapToMany } from '../../channel/map-to-many';
import { resolveLoopLimits } from '../../channel/mux-loop/loop-limits';
import type { LoopInput } from '../../channel/mux-loop/loop-messages';
import { selectLoop, type EdgeEffect, type ServedSessionFactory } from '../../channel/mux-loop/select-loop';
import { createUnavailableEngine } from '../../webdav';
import { httpSessionFactory } from '../../webdav/session/webdav-mux-session';
import type { WebdavEngine } from '../../webdav/types';
import { shareLibvirtDomain } from '../libvirt/share-libvirt-domain';
import { connectSpice, type SessionEvent, type WebdavLink } from '../spice/spice-session';
import { SpicevmcCap } from '../../wire/constants';
import { deliveredTrafficEvents, trafficEvents } from './batch-traffic';
import { createShareEngine } from './engine-factory';
import { writeToLink } from './link-writer';
import { loopTicks } from './loop-ticks';
import { isShareChange, requestsOf, shareEngines, type SharingStep } from './share-engines';
import { shareWithReconnect } from './share-with-reconnect';
import type { SharingCommand, SharingEvent, ShareFolderOptions, SpiceShareOptions } from './sharing-types';
import { targetProblem } from './target-problem';

/** The guest's 503 body completes "No folder is shared right now: " with this. */
export const NOTHING_SHARED =
  'on the host, start spice-webdav with --share-dir DIR (or send it a share command).';

/**
 * Shares a host folder into the VM: connects to the SPICE server, runs the select loop over the webdav channel
 * and serves each guest connection from the WebDAV engine. Commands in, events out; unsubscribing tears
 * everything down (sockets, sessions, the engines).
 */
export function shareFolder(
  shareOptions: ShareFolderOptions,
  commands$: Observable<SharingCommand> = NEVER,
): Observable<SharingEvent> {
  // Both would leave one unshared without a word (the command line refuses the same pair).
  if (shareOptions.share !== undefined && shareOptions.shares !== undefined && shareOptions.shares.length > 0)
    return throwError(
      () => new TypeError('shareFolder: give share (one folder) or shares (named folders), not both.'),
    );
  const problem = targetProblem(shareOptions.target);
  if (problem !== undefined) return throwError(() => new TypeError(problem));
  const target = shareOptions.target;
  if (target.kind === 'libvirt')
    return shareLibvirtDomain({ ...shareOptions, target }, commands$, shareFolder);
  const options: SpiceShareOptions = { ...shareOptions, target };
  if (options.reconnect !== undefined && options.reconnect.mode !== 'off')
    return shareWithReconnect(options, commands$, shareFolder);
  return shareOverSpice(options, commands$);
}

/**
 * One SPICE session, like redux-observable's epics around the pure reducer: the session's events, the engines
 * made from the commands and the loop's effects are streams of one subscription, and the events the user sees
 * are them merged.
 */
function shareOverSpice(
  options: SpiceShareOptions,
  commands$: Observable<SharingCommand>,
): Observable<SharingEvent> {
  const connectSession = options.connectSpice ?? connectSpice;
  const createEngine = options.createEngine ?? createShareEngine;
  const limits = resolveLoopLimits(options.limits);
  return defer(() => {
    // What a guest connection gets while nothing is shared: a 503 that says what to do.
    const standIn = createUnavailableEngine(NOTHING_SHARED);
    const rawChannel = options.rawChannelServer;
    const serveSession: ServedSessionFactory<WebdavEngine> = (key, input$, engine) =>
      httpSessionFactory(() => rawChannel ?? engine ?? standIn)(key, input$);

    return connectSession(options).pipe(
      connect((session$) => {
        const link$ = session$.pipe(filter(isWebdavLink), take(1));
        // A command sent before the channel is up (a `share` read-only of another folder, a `stop`) wins over
        // the start-up share, which would otherwise replace it the moment the channel came up.
        const shareCommands$ = commands$.pipe(
          connect((commands) =>
            merge<SharingCommand[]>(initialShare(link$, options).pipe(takeUntil(commands)), commands),
          ),
        );
        return shareCommands$.pipe(
          shareEngines(createEngine, options.engine),
          connect((sharing$) => {
            const loop$ = selectLoop(
              merge(
                session$.pipe(mapToMany(channelInput)),
                sharing$.pipe(filter(isShareChange)),
                loopTicks(limits.tickMs),
              ),
              serveSession,
              limits,
              writeToLink(link$),
            );
            return merge(
              session$.pipe(mapToMany(sessionEvent)),
              sharing$.pipe(mapToMany(sharingEvent)),
              requestsOf(standIn),
              loop$.pipe(mapToMany(effectEvent)),
            );
          }),
        );
      }),
      finalize(() => void standIn.close()),
    );
  });
}

/**
 * The share the options ask for, once the webdav channel is up: unless a command came first, and a later one
 * replaces it.
 */
function initialShare(link$: Observable<WebdavLink>, options: SpiceShareOptions): Observable<SharingCommand> {
  return link$.pipe(
    mergeMap((): Observable<SharingCommand> => {
      if (options.shares !== undefined && options.shares.length > 0)
        return of({ kind: 'share-folders', shares: options.shares });
      if (options.share !== undefined) return of({ kind: 'share', ...options.share });
      return EMPTY;
    }),
  );
}

const isWebdavLink = (event: SessionEvent): event is Extract<SessionEvent, { kind: 'webdav-linked' }> =>
  event.kind === 'webdav-linked';

/** What the webdav channel tells the loop. */
function channelInput(event: SessionEvent): readonly LoopInput<never>[] {
  switch (event.kind) {
    case 'port-init':
      return event.opened ? [{ kind: 'port-opened' }] : [];
    case 'port-event':
      if (event.event === 'opened') return [{ kind: 'port-opened' }];
      if (event.event === 'closed') return [{ kind: 'port-closed' }];
      return [];
    case 'vmc-data':
      return [{ kind: 'vmc-data', pieces: event.pieces }];
    default:
      return [];
  }
}

/** What the SPICE session tells the user. */
function sessionEvent(event: SessionEvent): readonly SharingEvent[] {
  switch (event.kind) {
    case 'connecting':
      return [{ kind: 'connecting', target: event.target }];
    case 'main-linked':
      return [{ kind: 'connected', sessionId: event.sessionId, endpoint: event.endpoint }];
    case 'webdav-linked':
      return [
        {
          kind: 'channel-ready',
          endpoint: event.endpoint,
          lz4: event.advertisedChannelCaps.includes(SpicevmcCap.DATA_COMPRESS_LZ4),
        },
      ];
    case 'vmc-data':
      return event.compressedSize === undefined
        ? []
        : [{ kind: 'compressed-data', compressedBytes: event.compressedSize, bytes: event.bytes }];
    case 'notify':
      return [{ kind: 'server-notice', message: event.message }];
    default:
      return [];
  }
}

/** The sharing steps the user hears of directly (share changes reach them through the loop, in order). */
function sharingEvent(step: SharingStep): readonly SharingEvent[] {
  return isShareChange(step) ? [] : [step];
}

/** What the loop's effects tell the user: its events, and the bytes that moved. */
function effectEvent(effect: EdgeEffect): readonly SharingEvent[] {
  switch (effect.kind) {
    case 'send-frames':
      return trafficEvents(effect.id, 'out', effect.payloads);
    case 'frames-delivered':
      return deliveredTrafficEvents(effect.id, effect.frames);
    case 'event':
      return [effect.event];
    case 'close-frames':
    case 'pause-reading':
    case 'resume-reading':
      return [];
  }
}
