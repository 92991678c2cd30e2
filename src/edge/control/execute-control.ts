import {
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  finalize,
  first,
  map,
  merge,
  type Observable,
  of,
  Subject,
  timeout,
} from 'rxjs';
import type { ShareSpec } from '../../channel/mux-loop/loop-messages';
import type { SharingCommand, SharingEvent } from '../sharing/sharing-types';
import { describeShareFailure } from './describe-share';
import { CONTROL_HELP, type ControlRequest } from './control-request';
import type { StatusReport } from './sharing-status';

/** The answer to one control request; the socket sends it as one JSON line. */
export type ControlReply =
  | { readonly ok: true; readonly status: StatusReport }
  | { readonly ok: true; readonly shared: ShareSpec }
  | { readonly ok: true; readonly stopped: true }
  | { readonly ok: true; readonly help: string }
  | { readonly ok: false; readonly error: string };

/** What a control request acts on: the running share's commands, its events, and its current status. */
export interface ControlTarget {
  readonly events$: Observable<SharingEvent>;
  send(command: SharingCommand): void;
  status(): StatusReport;
}

const OUTCOME_TIMEOUT_MS = 60_000;

/** The reply when the sharing stream reported no outcome in time (the only outcome that is not also an event). */
export const NO_ANSWER: ControlReply = {
  ok: false,
  error: 'no answer from the sharing engine (is the connection still up?)',
};

/**
 * Runs one request and emits its one reply. `share` and `stop` answer once the sharing stream says what
 * happened (shared, refused with the reason, stopped), so a script knows the outcome, not just that it asked.
 */
export function executeControl(request: ControlRequest, target: ControlTarget): Observable<ControlReply> {
  switch (request.kind) {
    case 'status':
      return defer(() => of<ControlReply>({ ok: true, status: target.status() }));
    case 'help':
      return of<ControlReply>({ ok: true, help: CONTROL_HELP });
    case 'stop':
      return sendAndAwait(target, { kind: 'stop' }, (event) =>
        event.kind === 'sharing-stopped' ? { ok: true, stopped: true } : undefined,
      );
    case 'share':
    case 'share-folders': {
      const command: SharingCommand =
        request.kind === 'share'
          ? { kind: 'share', path: request.path, readOnly: request.readOnly }
          : { kind: 'share-folders', shares: request.shares };
      return sendAndAwait(target, command, (event) => {
        if (event.kind === 'sharing-started') return { ok: true, shared: event.share };
        if (event.kind === 'share-failed')
          return { ok: false, error: describeShareFailure(event.share, event.message) };
        return undefined;
      });
    }
  }
}

/** Per target, what completes once the last command in line is done (completed at once when none is). */
const lastInLine = new WeakMap<ControlTarget, Observable<never>>();

/**
 * Sends a command and answers with its outcome, the first event that reports one. Commands that await an
 * outcome run one at a time per target (control-socket clients and the terminal alike): two clients' `share`
 * at once each took the first outcome reported, so one could get the other's (session 22).
 */
function sendAndAwait(
  target: ControlTarget,
  command: SharingCommand,
  outcome: (event: SharingEvent) => ControlReply | undefined,
): Observable<ControlReply> {
  return defer(() => {
    const before = lastInLine.get(target) ?? EMPTY;
    const done = new Subject<never>(); // once completed, completes every later subscriber at once
    lastInLine.set(target, done);
    return concat(before, awaitOutcome(target, command, outcome)).pipe(finalize(() => done.complete()));
  });
}

function awaitOutcome(
  target: ControlTarget,
  command: SharingCommand,
  outcome: (event: SharingEvent) => ControlReply | undefined,
): Observable<ControlReply> {
  return defer(() => {
    // Listen first: the outcome may be reported synchronously while the command is being sent.
    const reply$ = target.events$.pipe(
      map(outcome),
      filter((reply): reply is ControlReply => reply !== undefined),
      first(),
      timeout({ first: OUTCOME_TIMEOUT_MS }),
      catchError(() => of(NO_ANSWER)),
    );
    const send$ = defer(() => {
      target.send(command);
      return EMPTY;
    });
    return merge(reply$, send$);
  });
}
