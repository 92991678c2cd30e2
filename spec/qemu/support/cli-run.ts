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

export async function until(run: CliRun, text: string | RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (typeof text === 'string' ? run.output().includes(text) : text.test(run.output())) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`CLI never printed ${String(text)}; output so far:\n${run.output()}`);
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
