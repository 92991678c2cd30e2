import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { concatMap, from, Subject, type Subscription } from 'rxjs';
import { parseControlText } from './control-request';
import { executeControl, type ControlReply, type ControlTarget } from './execute-control';
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
): Subscription {
  const lines = new Subject<string>();
  const reader = createInterface({ input, crlfDelay: Infinity });
  reader.on('line', (line) => lines.next(line));
  const subscription = lines
    .pipe(
      concatMap((line) => {
        const parsed = parseControlText(line, cwd);
        if (parsed.kind === 'empty') return [];
        if (parsed.kind === 'invalid') return [{ ok: false, error: parsed.message } satisfies ControlReply];
        return from(executeControl(parsed.request, target));
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

export function describeReply(reply: ControlReply): string {
  if (!reply.ok) return `error: ${reply.error}`;
  if ('status' in reply) return renderStatus(reply.status);
  if ('shared' in reply)
    return `now sharing ${reply.shared.path}${reply.shared.readOnly ? ' (read-only)' : ''}`;
  if ('help' in reply) return reply.help;
  return 'sharing stopped';
}
