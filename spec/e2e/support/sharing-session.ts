// Runs shareFolder against the test guest's SPICE server and records its events, so specs can wait for one.

import { Subject, type Subscription } from 'rxjs';
import { shareFolder } from '../../../src/edge/sharing/share-folder';
import type {
  SharingCommand,
  SharingEvent,
  ShareFolderOptions,
} from '../../../src/edge/sharing/sharing-types';
import type { RunningQemu } from '../../../src/edge/qemu/launcher';

export interface SharingSession {
  readonly events: SharingEvent[];
  readonly commands: Subject<SharingCommand>;
  /** Resolves with the first event (after `since`) that matches; rejects after timeoutMs. */
  waitFor(match: (e: SharingEvent) => boolean, timeoutMs?: number, since?: number): Promise<SharingEvent>;
  readonly error: unknown;
  stop(): void;
}

export function startSharing(
  qemu: RunningQemu,
  share: ShareFolderOptions['share'],
  extra: Partial<ShareFolderOptions> = {},
): SharingSession {
  const events: SharingEvent[] = [];
  const commands = new Subject<SharingCommand>();
  const waiters = new Set<() => void>();
  let error: unknown;
  const subscription: Subscription = shareFolder(
    {
      target: { kind: 'tcp', host: qemu.spice.host, port: qemu.spice.port },
      ...(share === undefined ? {} : { share }),
      ...extra,
    },
    commands,
  ).subscribe({
    next: (e) => {
      events.push(e);
      for (const w of [...waiters]) w();
    },
    error: (e: unknown) => {
      error = e;
      for (const w of [...waiters]) w();
    },
  });
  return {
    events,
    commands,
    get error() {
      return error;
    },
    waitFor(match, timeoutMs = 30_000, since = 0) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.slice(since).find(match);
          if (found !== undefined) {
            resolve(found);
            return true;
          }
          if (error !== undefined) {
            reject(error instanceof Error ? error : new Error(String(error)));
            return true;
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for an event; got: ${events.map((e) => e.kind).join(', ')}`));
        }, timeoutMs);
        const waiter = (): void => {
          if (check()) {
            clearTimeout(timer);
            waiters.delete(waiter);
          }
        };
        waiters.add(waiter);
      });
    },
    stop: () => subscription.unsubscribe(),
  };
}
