import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { concatMap, filter, from, Subject, type Subscription } from 'rxjs';
import { parseControlText, type ControlRequest } from './control-request';
import { executeControl, NO_ANSWER, type ControlReply, type ControlTarget } from './execute-control';
import { describeShare } from './describe-share';
import { renderStatus } from './sharing-status';

/**
 * Commands typed at the terminal (only when stdin is one: a pipe or /dev/null is left alone): share DIR
 * [read-only], share NAME=DIR[:ro]..., stop, status, help. Answers are written with `print`.
 */
export function readTerminalCommands(
  input: Readable,
  target: ControlTarget,
  cwd: string,
  print: (text: string) => void,
  /** Told of each line as it is typed, before it is answered (to tidy the screen around it). */
  typed: (line: string) => void = () => undefined,
): Subscription {
  const lines = new Subject<string>();
  const reader = createInterface({ input, crlfDelay: Infinity });
  reader.on('line', (line) => {
    typed(line);
    lines.next(line);
  });
  const subscription = lines
    .pipe(
      concatMap((line) => {
        const parsed = parseControlText(line, cwd);
        if (parsed.kind === 'empty') return [];
        if (parsed.kind === 'invalid') return [{ ok: false, error: parsed.message } satisfies ControlReply];
        const replies$ = from(executeControl(parsed.request, target));
        // The outcome of share and stop is an event the log already shows: print it once, not twice.
        return reportedAsEvent(parsed.request)
          ? replies$.pipe(filter((reply) => reply === NO_ANSWER))
          : replies$;
      }),
    )
    .subscribe((reply) => print(describeReply(reply)));
  subscription.add(() => {
    reader.close();
    // Let the process end: a paused TTY stream holds no event loop reference.
    input.pause();
  });
  return subscription;
}

function reportedAsEvent(request: ControlRequest): boolean {
  return request.kind === 'share' || request.kind === 'share-folders' || request.kind === 'stop';
}

export function describeReply(reply: ControlReply): string {
  if (!reply.ok) return `error: ${reply.error}`;
  if ('status' in reply) return renderStatus(reply.status);
  if ('shared' in reply) return `now sharing ${describeShare(reply.shared)}`;
  if ('help' in reply) return reply.help;
  return 'sharing stopped';
}
