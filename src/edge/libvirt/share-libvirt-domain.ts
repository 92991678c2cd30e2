import {
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  filter,
  from,
  interval,
  map,
  merge,
  NEVER,
  Observable,
  type Subscription,
} from 'rxjs';

import type {
  SharingCommand,
  SharingEvent,
  ShareFolderOptions,
  SpiceShareOptions,
} from '../sharing/sharing-types';
import { domainDisplay, type DomainDisplay } from './domain-display';
import { lifecycleEvents, type LifecycleEvent } from './domain-events';
import type { LibvirtTarget } from './libvirt-target';
import { parseLibvirtUri } from './libvirt-uri';
import { lookupDomain, noSuchDomainError, notRunningError, type DomainState } from './lookup-domain';
import type { VirshOptions } from './virsh';

/**
 * While waiting for a domain, look again this often even without an event: `virsh event` gives no sign that
 * it has registered, so a start in the first moments could be missed. Also the poll interval when events are
 * not available at all (an old libvirt, a dropped event connection).
 */
export const SAFETY_RECHECK_MS = 15_000;

/** The SPICE link timeout through an ssh tunnel: ssh's own connection and login come first. */
export const SSH_LINK_TIMEOUT_MS = 40_000;

export interface LibvirtShareDependencies {
  /** Lifecycle events of every domain; default: `virsh event --loop` (domain-events.ts). */
  readonly events?: (options: VirshOptions) => Observable<LifecycleEvent>;
  readonly recheckMs?: number;
}

type Share = (options: SpiceShareOptions, commands$: Observable<SharingCommand>) => Observable<SharingEvent>;

/**
 * Shares into a libvirt domain: asks libvirt for its SPICE display and runs `shareSpice` there. With
 * `target.wait` it first waits for the domain to exist and run; with `options.reconnect` it follows the
 * domain: a stop closes the connection and waits, a start (its port may have changed) connects again, and
 * the domain being undefined completes the Observable. Each look at the domain is one
 * `virsh dumpxml --security-info`, done at the start and after each lifecycle event of the domain.
 */
export function shareLibvirtDomain(
  options: ShareFolderOptions & { readonly target: LibvirtTarget },
  commands$: Observable<SharingCommand>,
  shareSpice: Share,
  dependencies: LibvirtShareDependencies = {},
): Observable<SharingEvent> {
  const target = options.target;
  const virsh: VirshOptions = {
    uri: target.uri,
    ...(target.virsh === undefined ? {} : { virsh: target.virsh }),
  };
  const follow = options.reconnect !== undefined && options.reconnect.mode !== 'off';
  const wait = target.wait === true;
  const uri = parseLibvirtUri(target.uri);
  const watchEvents = dependencies.events ?? lifecycleEvents;
  const recheckMs = dependencies.recheckMs ?? SAFETY_RECHECK_MS;

  return new Observable<SharingEvent>((subscriber) => {
    /** The domain's name once libvirt has shown it (DOMAIN may be an id or a UUID). */
    let name: string | undefined;
    let seen = false;
    let lastState: DomainState['kind'] | undefined;
    let sharing: { key: string; subscription: Subscription } | undefined;
    let waiting = false;
    /**
     * libvirt said "Undefined" for our domain. A transient domain that is destroyed disappears without it
     * (only "Stopped"): that one may be created again, so we wait for it; an undefined one is gone for good.
     */
    let undefinedByEvent = false;
    const lookups = new Observable<void>((trigger) => {
      trigger.next();
      if (!wait && !follow) return undefined;
      // Lifecycle events of our domain (of any, before we know its name), plus the safety re-check while
      // waiting; after the event stream ends or fails, the re-check alone.
      const events$ = defer(() => watchEvents(virsh)).pipe(
        filter((event) => name === undefined || event.domain === name),
        map((event): void => {
          if (event.event === 'Undefined' && event.domain === name) undefinedByEvent = true;
          if (event.event === 'Defined' || event.event === 'Started') undefinedByEvent = false;
        }),
        catchError(() => EMPTY),
      );
      const recheck$ = interval(recheckMs).pipe(filter(() => waiting || sharing === undefined));
      const subscription = merge(concat(events$, NEVER), recheck$).subscribe(() => trigger.next());
      return () => subscription.unsubscribe();
    });
    const recheckNow = new Observable<void>((trigger) => {
      retrigger = () => trigger.next();
      return () => (retrigger = () => undefined);
    });
    let retrigger: () => void = () => undefined;

    const stopSharing = (): void => {
      sharing?.subscription.unsubscribe();
      sharing = undefined;
    };
    const emit = (event: SharingEvent): void => subscriber.next(event);
    const states = merge(lookups, recheckNow)
      .pipe(concatMap(() => from(lookup())))
      .subscribe({
        next: (state) => {
          try {
            handle(state);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
      });

    async function lookup(): Promise<DomainState> {
      const state = await lookupDomain(target.domain, virsh);
      if (state.kind === 'missing' && !seen && !wait) throw await noSuchDomainError(target.domain, virsh);
      if (state.kind === 'inactive' && !seen && !wait) throw notRunningError(state.domain, target.uri);
      if (state.kind === 'starting' && !wait && !follow)
        throw notRunningError(state.domain, target.uri, true);
      return state;
    }

    function handle(state: DomainState): void {
      const previous = lastState;
      lastState = state.kind;
      if (state.kind === 'missing') {
        waiting = true;
        if (sharing !== undefined) {
          stopSharing();
          emit({ kind: 'domain-stopped', domain: name ?? target.domain });
        } else if (previous !== 'missing') {
          emit({ kind: 'domain-waiting', domain: name ?? target.domain, state: 'missing' });
        }
        if (seen && follow && undefinedByEvent) {
          emit({ kind: 'domain-undefined', domain: name ?? target.domain });
          subscriber.complete();
        }
        return;
      }
      seen = true;
      name = state.domain.name;
      if (state.kind === 'starting') {
        // Its Started event (or the safety re-check) brings the next look.
        waiting = true;
        if (previous !== 'starting' && sharing === undefined) {
          emit({ kind: 'domain-waiting', domain: name, state: 'starting' });
        }
        return;
      }
      if (state.kind === 'inactive') {
        waiting = true;
        if (sharing !== undefined) {
          stopSharing();
          emit({ kind: 'domain-stopped', domain: name });
        } else if (previous !== 'inactive') {
          emit({ kind: 'domain-waiting', domain: name, state: 'inactive' });
        }
        return;
      }
      const display = domainDisplay(state.domain, uri, target.uri);
      const key = JSON.stringify([state.domain.id, display]);
      if (sharing?.key === key) return;
      if (sharing !== undefined) {
        // Stopped and started again between two looks: a new QEMU, maybe on another port.
        stopSharing();
        emit({ kind: 'domain-stopped', domain: name });
      }
      waiting = false;
      emit({ kind: 'domain-started', domain: name, target: display.target });
      startSharing(key, display);
    }

    function startSharing(key: string, display: DomainDisplay): void {
      const spiceOptions: SpiceShareOptions = {
        ...options,
        target: display.target,
        password: display.password ?? options.password,
        // Through ssh, the link includes an ssh login per channel (seconds on a busy host).
        ...(display.target.kind === 'tcp' && display.target.via !== undefined
          ? { linkTimeoutMs: Math.max(options.linkTimeoutMs ?? 0, SSH_LINK_TIMEOUT_MS) }
          : {}),
      };
      const subscription = shareSpice(spiceOptions, commands$).subscribe({
        next: (event) => {
          emit(event);
          // A lost connection may be the domain stopping: look, in case its event was missed.
          if (event.kind === 'reconnecting') retrigger();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      sharing = { key, subscription };
      // Without --reconnect the share runs to its end like a direct connection; no need to watch further.
      if (!follow) states.unsubscribe();
    }

    return () => {
      states.unsubscribe();
      stopSharing();
    };
  });
}
