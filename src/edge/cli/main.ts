import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { terminalSafe, terminalSafeJson } from '../../wire/display-text';
import { coalesceTraffic } from '../control/coalesce-traffic';
import { openControlSocket, type ControlSocket } from '../control/control-socket';
import type { ControlTarget } from '../control/execute-control';
import { INITIAL_STATUS, reduceStatus, statusReport } from '../control/sharing-status';
import { readTerminalCommands } from '../control/terminal-commands';
import { IDLE_PROGRESS, reduceProgress, renderProgress } from '../control/transfer-progress';
import { shareFolder } from '../sharing/share-folder';
import type { SharingCommand, SharingEvent } from '../sharing/sharing-types';
import { isSpiceConnectionError } from '../spice/errors';
import type { SpiceTlsOptions } from '../spice/target';
import { formatEvent, formatEventJson } from './format-event';
import { packageVersion } from './package-version';
import { parseCommandLine, type CliCommand } from './parse-command-line';
import { passwordRefusalMessage } from './password-refusal';
import { TerminalOutput } from './terminal-output';
import { UsageError } from './usage-error';
import { nothingSharedNote } from './nothing-shared-note';
import { whenOutputClosed } from './output-closed';
import { RepeatLimiter, type RepeatVerdict } from './repeat-limiter';
import { repeatableKind } from './repeatable-events';

const PROGRESS_INTERVAL_MS = 250;

const SHOW: RepeatVerdict = { show: true, leftOut: 0 };

const log = (line: string): void => {
  process.stderr.write(`spice-webdav: ${terminalSafe(line)}\n`);
};

/** The CLI: parse, run until SIGINT/SIGTERM/SIGHUP or a fatal error, exit with a code that says what happened. */
export function main(argv: readonly string[]): void {
  let command: CliCommand;
  try {
    command = parseCommandLine(argv, process.env, packageVersion());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const exitCode = err instanceof UsageError ? err.exitCode : 1;
    log(message);
    // The log format is not parsed yet: a script that asked for JSON gets its one fatal object anyway.
    if (asksForJson(argv)) process.stdout.write(`${fatalJson('usage', message, exitCode, new Date())}\n`);
    process.exitCode = exitCode;
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
      runConnect(command).catch((err: unknown) => {
        log(`unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      });
      return;
  }
}

function asksForJson(argv: readonly string[]): boolean {
  return argv.some(
    (arg, i) => arg === '--log-format=json' || (arg === '--log-format' && argv[i + 1] === 'json'),
  );
}

/** `--log-format json`'s last line: why the run ended, with the exit code the process is about to return. */
function fatalJson(reason: string, message: string, exitCode: number, now: Date): string {
  return terminalSafeJson(
    JSON.stringify({ time: now.toISOString(), kind: 'fatal', reason, message, exitCode }),
  );
}

type ConnectCommand = Extract<CliCommand, { kind: 'connect' }>;

async function runConnect(command: ConnectCommand): Promise<void> {
  const cleanups: (() => void)[] = [];
  const output = new TerminalOutput(process.stdout, process.stderr);
  const say = (line: string): void => output.log(`spice-webdav: ${line}`);
  const fatal = (reason: string, message: string, exitCode: number): void => {
    say(message);
    if (command.logFormat === 'json') output.data(fatalJson(reason, message, exitCode, new Date()));
    process.exitCode = exitCode;
  };

  if (command.vvDeletionProblem !== undefined) say(command.vvDeletionProblem);
  const rootProblem = runningAsRootProblem(command);
  if (rootProblem !== undefined) say(rootProblem);

  const repeats = new RepeatLimiter();
  const commands = new Subject<SharingCommand>();
  const events = new Subject<SharingEvent>();
  let status = INITIAL_STATUS;
  let progress = IDLE_PROGRESS;
  const target: ControlTarget = {
    events$: events.asObservable(),
    send: (c) => commands.next(c),
    status: () => statusReport(status, Date.now()),
  };

  // The control socket first: if it cannot be opened, the VM's session (and its viewer) is left alone.
  if (command.control !== undefined) {
    const path = command.control;
    let socket: ControlSocket;
    try {
      socket = await openControlSocket(path, target, process.cwd());
    } catch (err) {
      fatal('usage', err instanceof Error ? err.message : String(err), 2);
      return;
    }
    cleanups.push(() => socket.close());
    if (command.verbose) say(`control socket ready at ${path}`);
  }
  const tls = withInlineCa(command, cleanups);
  const nothingShared = nothingSharedNote(command, process.stdin.isTTY === true);
  if (nothingShared !== undefined) say(nothingShared);

  // The live progress line only for a person watching: never into a pipe or a file, never mixed with JSON.
  // Without it (a service, a script) its state is not kept either: nothing would ever read it.
  const showsProgress = process.stdout.isTTY && command.logFormat === 'human';
  const subscription: Subscription = shareFolder(
    {
      target: command.target,
      tls,
      password: command.password,
      compression: command.compression,
      ...(command.share === undefined ? {} : { share: command.share }),
      ...(command.shares.length === 0 ? {} : { shares: command.shares }),
      ...(command.reconnect === 'off' ? {} : { reconnect: { mode: command.reconnect } }),
    },
    commands,
  )
    // Status and progress need the bytes, not one event per SPICE message: a PUT sends 16 per MiB.
    .pipe(coalesceTraffic())
    .subscribe({
      next: (event) => {
        const now = Date.now();
        status = reduceStatus(status, event, now);
        if (showsProgress) progress = reduceProgress(progress, event, now);
        const repeatable = repeatableKind(event);
        const verdict = repeatable === undefined ? SHOW : repeats.judge(repeatable, now);
        if (!verdict.show) {
          events.next(event);
          return;
        }
        if (command.logFormat === 'json') {
          const line = formatEventJson(event, new Date(now));
          if (line !== undefined) output.data(line);
        } else {
          if (verdict.leftOut > 0) say(`(${verdict.leftOut} more like the next line were not shown)`);
          const line = formatEvent(event, command.verbose);
          if (line !== undefined) say(line);
        }
        events.next(event);
      },
      error: (err: unknown) => {
        if (isSpiceConnectionError(err)) {
          fatal(err.reason, passwordRefusalMessage(err, command.passwordSource) ?? err.message, err.exitCode);
        } else {
          fatal('unexpected', err instanceof Error ? err.message : String(err), 1);
          // A failure we did not foresee is a bug to report: --verbose shows where it came from. A connection
          // error's message says it all; its stack would only point into the bundle.
          if (command.verbose && err instanceof Error && err.stack !== undefined) output.log(err.stack);
        }
        finish();
      },
      // Only a libvirt domain followed with --reconnect ends by itself: it was undefined (the event said so).
      complete: () => {
        process.exitCode = 0;
        finish();
      },
    });

  if (process.stdin.isTTY) {
    const terminal = readTerminalCommands(
      process.stdin,
      target,
      process.cwd(),
      (text) => output.data(text),
      (line) => output.typed(line),
    );
    cleanups.push(() => terminal.unsubscribe());
  }
  if (showsProgress) {
    const ticker = setInterval(
      () => output.progress(renderProgress(progress, Date.now())),
      PROGRESS_INTERVAL_MS,
    );
    ticker.unref();
    cleanups.push(() => {
      clearInterval(ticker);
      output.progress(undefined);
    });
  }

  let finished = false;
  function finish(): void {
    if (finished) return;
    finished = true;
    subscription.unsubscribe();
    for (const cleanup of cleanups.splice(0)) cleanup();
    // Everything is closed by now; do not let a stray handle keep us alive past a second.
    setTimeout(() => process.exit(), 1000).unref();
  }
  const stop = (signal: string): void => {
    if (command.verbose) say(`${signal}: closing the connection`);
    // A script reading the JSON log learns that the run ended and why, as it would of a failure.
    if (command.logFormat === 'json' && !finished)
      output.data(JSON.stringify({ time: new Date().toISOString(), kind: 'stopped', signal, exitCode: 0 }));
    process.exitCode = 0;
    finish();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // The terminal closed: stop as cleanly (the control socket's file removed, the guest's connections closed).
  process.once('SIGHUP', () => stop('SIGHUP'));
  // Whoever read the log went away (`| head`): stop as cleanly; there is no one left to tell.
  whenOutputClosed(() => finish());
}

/**
 * Root is not kept out by permission bits: the guest could replace a file the host made read-only and write
 * into a read-only folder, and what it creates belongs to root. Said once at start, for a writable share.
 */
function runningAsRootProblem(command: ConnectCommand): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const writable =
    (command.share !== undefined && !command.share.readOnly) || command.shares.some((s) => !s.readOnly);
  if (!writable) return undefined;
  return (
    "warning: running as root, so the host's file permissions do not hold for the guest (it can replace " +
    "read-only files, and what it writes belongs to root); run as the folder's owner (User= in the systemd unit)."
  );
}

/** A .vv file's inline CA goes to a private temp file for the TLS layer, removed when we exit. */
function withInlineCa(command: ConnectCommand, cleanups: (() => void)[]): SpiceTlsOptions {
  if (command.caPem === undefined) return command.tls;
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-ca-'));
  const file = join(dir, 'ca-cert.pem');
  writeFileSync(file, command.caPem, { mode: 0o600 });
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  cleanups.push(remove);
  process.once('exit', remove);
  return { ...command.tls, caFile: file };
}
