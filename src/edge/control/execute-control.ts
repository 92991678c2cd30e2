import { catchError, defer, EMPTY, filter, first, map, merge, type Observable, of, timeout } from 'rxjs';
import type { ShareSpec } from '../../channel/mux-loop/loop-messages';
import type { SharingCommand, SharingEvent } from '../sharing/sharing-types';
import { describeShare } from './describe-share';
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
          return { ok: false, error: `cannot share ${describeShare(event.share)}: ${event.message}` };
        return undefined;
      });
    }
  }
}

function sendAndAwait(
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
