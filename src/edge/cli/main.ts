import { Subject } from 'rxjs';
import { shareFolder } from '../sharing/share-folder';
import type { SharingCommand } from '../sharing/sharing-types';
import { isSpiceConnectionError } from '../spice/errors';
import { formatEvent } from './format-event';
import { packageVersion } from './package-version';
import { parseCommandLine, type CliCommand } from './parse-command-line';
import { UsageError } from './usage-error';

const log = (line: string): void => {
  process.stderr.write(`spice-webdav: ${line}\n`);
};

/** The CLI: parse, run until SIGINT/SIGTERM or a fatal error, exit with a code that says what happened. */
export function main(argv: readonly string[]): void {
  let command: CliCommand;
  try {
    command = parseCommandLine(argv, process.env, packageVersion());
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exitCode = err instanceof UsageError ? err.exitCode : 1;
    return;
  }
  switch (command.kind) {
    case 'done':
      process.stdout.write(`${command.output}\n`);
      return;
    case 'demo':
      void import('../demo/run-demo').then(({ runDemo }) => runDemo(command));
      return;
    case 'connect':
      runConnect(command);
      return;
  }
}

function runConnect(command: Extract<CliCommand, { kind: 'connect' }>): void {
  const commands = new Subject<SharingCommand>();
  const subscription = shareFolder(
    {
      target: command.target,
      tls: command.tls,
      password: command.password,
      ...(command.share === undefined ? {} : { share: command.share }),
    },
    commands,
  ).subscribe({
    next: (event) => {
      const line = formatEvent(event, command.verbose);
      if (line !== undefined) log(line);
    },
    error: (err: unknown) => {
      log(err instanceof Error ? err.message : String(err));
      process.exitCode = isSpiceConnectionError(err) ? err.exitCode : 1;
      if (command.verbose && err instanceof Error && err.stack !== undefined)
        process.stderr.write(`${err.stack}\n`);
      setTimeout(() => process.exit(), 1000).unref();
    },
  });
  const stop = (signal: string): void => {
    if (command.verbose) log(`${signal}: closing the connection`);
    subscription.unsubscribe();
    process.exitCode = 0;
    // Everything is closed by now; do not let a stray handle keep us alive past a second.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
