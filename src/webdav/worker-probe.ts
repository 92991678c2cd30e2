import { Worker } from 'node:worker_threads';

/** What a probe may hold while it runs: the library's module tree and one request, far below this. */
const PROBE_HEAP_MB = 64;

/**
 * Runs `source` (CommonJS, `require` and `workerData` in scope) in a worker thread of its own and resolves with
 * the first message it posts, or with undefined if it throws, exits or stays silent past `budgetMs`. The worker
 * is ended as soon as it answered: a throw from inside a library, even a late one from a callback, ends that
 * thread and nothing else. It never holds the process open, its output goes nowhere (a library's warnings are
 * not ours to print), and its heap is bounded.
 *
 * Threads rather than Node's `domain` module: a domain, once created, turns on async hooks for the whole process
 * (every `await` and `nextTick` after it costs several times as much) and cannot coexist with a program's
 * `process.setUncaughtExceptionCaptureCallback`, which an embedding program may use.
 */
export function probeInWorker(source: string, workerData: unknown, budgetMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(source, {
        eval: true,
        workerData,
        stdout: true,
        stderr: true,
        resourceLimits: { maxOldGenerationSizeMb: PROBE_HEAP_MB },
      });
    } catch {
      resolve(undefined);
      return;
    }
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    const settle = (answer: unknown) => {
      clearTimeout(budget);
      worker.removeAllListeners();
      worker.on('error', () => undefined);
      void worker.terminate().catch(() => undefined);
      resolve(answer);
    };
    const budget = setTimeout(() => settle(undefined), budgetMs);
    budget.unref();
    worker.once('message', (answer: unknown) => settle(answer));
    worker.once('error', () => settle(undefined));
    worker.once('exit', () => settle(undefined));
  });
}
