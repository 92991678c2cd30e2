import type { CliCommand } from './parse-command-line';

type ConnectCommand = Extract<CliCommand, { kind: 'connect' }>;

/**
 * Started without a folder: the guest gets 503 until a `share` command comes. Where it can come from (the
 * terminal, the control socket), or, when from nowhere, that this run can never share anything.
 */
export function nothingSharedNote(
  command: Pick<ConnectCommand, 'share' | 'shares' | 'control'>,
  stdinIsTerminal: boolean,
): string | undefined {
  if (command.share !== undefined || command.shares.length > 0) return undefined;
  const ways = [
    ...(stdinIsTerminal ? ['type share DIR here'] : []),
    ...(command.control !== undefined ? [`send {"command":"share","path":"DIR"} to ${command.control}`] : []),
  ];
  if (ways.length === 0)
    return 'warning: nothing is shared and nothing can be (stdin is not a terminal and there is no --control): the guest gets 503 until you restart with --share-dir DIR';
  return `nothing is shared yet: the guest gets 503 until you ${ways.join(', or ')}`;
}
