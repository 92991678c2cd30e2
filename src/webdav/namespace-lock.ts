import { LeavableQueue } from './leavable-queue';
import type { GoneSignal } from './request-gone';

type Waiter = { readonly kind: 'shared' | 'exclusive'; readonly start: () => void };

/**
 * A readers/writer lock over one share's namespace (which name means which file or folder). Every guest
 * request resolves its paths and acts on them while holding it, so no other guest request can move, replace
 * or delete a folder between the check and the use: reads (GET's open, PROPFIND) share it; MOVE, COPY,
 * DELETE, MKCOL, LOCK's creation and PUT's open and commit (a small PUT's whole placement, its body already
 * read) hold it alone. It is never held while a file body streams. Waiters are served in arrival order, so a
 * stream of readers cannot starve a writer.
 *
 * A waiter may give up (`abandoned`: its request's connection is gone): it leaves the queue and its task never
 * runs, so requests sent and abandoned while a long MOVE holds the lock pile up neither in the queue nor in
 * memory, and an abandoned write does not happen later.
 */
export class NamespaceLock {
  private readers = 0;
  private writer = false;
  private readonly queue = new LeavableQueue<Waiter>();

  /**
   * Runs `task` alongside other shared tasks, never alongside an exclusive one. The task may give the lock up
   * before it ends (`leave`), once what is left of it needs no protection: a listing that is only waiting for
   * the guest to read its answer must not hold every writer, and every request queued behind one, meanwhile.
   * With `abandoned`, resolves undefined without running the task if the request is gone first.
   */
  shared<T>(task: (leave: () => void) => Promise<T>): Promise<T>;
  shared<T>(task: (leave: () => void) => Promise<T>, abandoned: GoneSignal): Promise<T | undefined>;
  shared<T>(task: (leave: () => void) => Promise<T>, abandoned?: GoneSignal): Promise<T | undefined> {
    return this.run('shared', task, abandoned);
  }

  /** Runs `task` alone; with `abandoned`, as `shared`. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  exclusive<T>(task: () => Promise<T>, abandoned: GoneSignal): Promise<T | undefined>;
  exclusive<T>(task: () => Promise<T>, abandoned?: GoneSignal): Promise<T | undefined> {
    return this.run('exclusive', task, abandoned);
  }

  /** Waiters in the queue that have not given up (specs, diagnostics). */
  get waiting(): number {
    return this.queue.size;
  }

  private run<T>(
    kind: Waiter['kind'],
    task: (leave: () => void) => Promise<T>,
    abandoned: GoneSignal | undefined,
  ): Promise<T | undefined> {
    if (abandoned?.gone === true) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      let stopListening: (() => void) | undefined;
      let started = false;
      const leaveLine = this.queue.add({
        kind,
        start: () => {
          started = true;
          stopListening?.();
          let held = true;
          const leave = () => {
            if (!held) return;
            held = false;
            this.release(kind);
          };
          Promise.resolve()
            .then(() => task(leave))
            .then(resolve, reject)
            .finally(leave);
        },
      });
      this.pump();
      // Only a waiter that did not start at once listens (a listener per request costs; most never wait).
      if (!started)
        stopListening = abandoned?.onGone(() => {
          if (!leaveLine()) return;
          resolve(undefined);
          this.pump(); // an exclusive waiter that left may have held readers back
        });
    });
  }

  private release(kind: Waiter['kind']): void {
    if (kind === 'shared') this.readers--;
    else this.writer = false;
    this.pump();
  }

  private pump(): void {
    for (let next = this.queue.peek(); next !== undefined; next = this.queue.peek()) {
      if (this.writer) return;
      if (next.kind === 'exclusive' && this.readers > 0) return;
      this.queue.take();
      if (next.kind === 'shared') this.readers++;
      else this.writer = true;
      next.start();
      if (next.kind === 'exclusive') return;
    }
  }
}
