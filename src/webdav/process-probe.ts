import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** What a probe may hold while it runs: the library's module tree and one request, far below this. */
const PROBE_HEAP_MB = 64;

/** The most a probe's answer may take; it is one line of JSON. */
const MAX_ANSWER_BYTES = 4096;

/**
 * Runs `source` (CommonJS, `process.argv[1..]` = `args`) in a Node process of its own and resolves with the value
 * of the JSON line it prints, or with undefined if it fails, prints something else, or stays silent past
 * `budgetMs` (then it is killed). A throw from inside the library, even a late one from a callback, ends that
 * process and nothing else; none of its memory is ever ours; it never holds our process open.
 *
 * A process rather than a worker thread, which shares ours (an abort or a native crash in it ends the client,
 * and its allocations go to our malloc arena), or Node's `domain` module, which once created turns on async
 * hooks for the whole process (every `await` and `nextTick` after it costs several times as much) and cannot
 * coexist with an embedding program's `process.setUncaughtExceptionCaptureCallback`.
 */
export function probeInProcess(source: string, args: readonly string[], budgetMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    // Elsewhere (Electron and the like) the executable is an application, not Node: ask nothing.
    if (process.versions['electron'] !== undefined) {
      resolve(undefined);
      return;
    }
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(
        process.execPath,
        [`--max-old-space-size=${PROBE_HEAP_MB}`, '-e', withDeadline(source, budgetMs), '--', ...args],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
          env: { ...process.env, NODE_OPTIONS: '' },
        },
      );
    } catch {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (answer: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(budget);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(answer);
    };
    const budget = setTimeout(() => settle(undefined), budgetMs);
    budget.unref();
    child.on('error', () => settle(undefined));
    child.stdout?.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_ANSWER_BYTES) settle(undefined);
      else chunks.push(chunk);
    });
    child.on('close', (code) =>
      settle(code === 0 ? parseAnswer(Buffer.concat(chunks).toString('utf8')) : undefined),
    );
    child.unref();
    // The pipe is a handle too: unreferenced, a probe under way never keeps the process alive.
    (child.stdout as Socket | null)?.unref();
  });
}

/** Exit status of a probe that ended itself at its deadline. */
export const PROBE_DEADLINE_EXIT = 70;

/**
 * The probe's source with its own deadline in front: it exits at the budget even if we exited first and could
 * not kill it, so a hung library is never left behind.
 */
export function withDeadline(source: string, budgetMs: number): string {
  return `setTimeout(() => process.exit(${PROBE_DEADLINE_EXIT}), ${Math.ceil(budgetMs)}).unref();\n${source}`;
}

function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text.trim());
  } catch {
    return undefined;
  }
}
