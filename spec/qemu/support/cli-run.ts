// Runs bin/spice-webdav (built by `npm ci`/`npm run build`) as a user would, collecting what it prints.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', '..', '..', 'bin', 'spice-webdav');

export interface CliRun {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly stdout: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `command` replaces `node bin/spice-webdav ARGS` (e.g. to run it under `script` for a terminal). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, command?: [string, string[]]): CliRun {
  const [file, argv] = command ?? [process.execPath, [BIN, ...args]];
  const child = spawn(file, argv, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, stdout: () => stdout, exited };
}

/**
 * Resolves as soon as the CLI has printed `text`: checked on every chunk it prints, never on a clock. Rejects
 * when it exits without printing it, or after `timeoutMs` (a deadline, not a poll).
 */
export function until(
  run: Pick<CliRun, 'child' | 'output'>,
  text: string | RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const printed = (): boolean =>
    typeof text === 'string' ? run.output().includes(text) : text.test(run.output());
  if (printed()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const { child } = run;
    const stop = (): void => {
      clearTimeout(deadline);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('close', closed);
    };
    const fail = (why: string): void => {
      stop();
      reject(new Error(`CLI never printed ${String(text)} (${why}); output so far:\n${run.output()}`));
    };
    // Registered after runCli's own listeners, so the output already holds the chunk.
    const check = (): void => {
      if (!printed()) return;
      stop();
      resolve();
    };
    const closed = (): void => (printed() ? check() : fail('it exited'));
    const deadline = setTimeout(() => fail(`not within ${timeoutMs} ms`), timeoutMs);
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('close', closed);
  });
}

/** Kills every run still alive (afterEach). */
export async function killAll(runs: CliRun[]): Promise<void> {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  }
}
