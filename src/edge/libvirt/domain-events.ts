import { spawn } from 'node:child_process';
import { Observable } from 'rxjs';

import { virshArguments, virshBinary, virshEnvironment, type VirshOptions } from './virsh';

/** One line of `virsh event --event lifecycle`: "event 'lifecycle' for domain 'NAME': Started Booted". */
export interface LifecycleEvent {
  readonly domain: string;
  /** Defined, Undefined, Started, Suspended, Resumed, Stopped, Shutdown, PMSuspended, Crashed. */
  readonly event: string;
  readonly detail: string;
}

/** The longest line we keep; virsh's event lines are short, a longer one is dropped. */
const MAX_LINE_CHARS = 64 * 1024;
const LIFECYCLE_LINE = /^event 'lifecycle' for domain '(.*)': (\S+)(?: (.*))?$/;

export function parseLifecycleLine(line: string): LifecycleEvent | undefined {
  const match = LIFECYCLE_LINE.exec(line.trim());
  if (match === null) return undefined;
  return { domain: match[1], event: match[2], detail: match[3] ?? '' };
}

/** virsh's arguments for the event stream: lifecycle events of every domain, until killed. */
export const LIFECYCLE_EVENT_COMMAND = ['event', '--loop', '--event', 'lifecycle'] as const;

/**
 * Lifecycle events of every domain on the connection, as libvirt pushes them (no polling): one long-running
 * `virsh event --loop` child, killed on unsubscribe. Every domain, because a domain we wait for may not
 * exist yet (and a UUID or id cannot be given to virsh event before it does). Completes when virsh exits
 * (libvirtd restarted, the ssh connection dropped) and errors when it cannot start: the caller falls back to
 * polling then.
 */
export function lifecycleEvents(options: VirshOptions): Observable<LifecycleEvent> {
  return new Observable<LifecycleEvent>((subscriber) => {
    const child = spawn(virshBinary(options), virshArguments(options.uri, LIFECYCLE_EVENT_COMMAND), {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: virshEnvironment(),
    });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_LINE_CHARS) pending = '';
      for (const line of lines) {
        const event = parseLifecycleLine(line);
        if (event !== undefined) subscriber.next(event);
      }
    });
    child.once('error', (error) => subscriber.error(error));
    child.once('close', () => subscriber.complete());
    return () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
  });
}
