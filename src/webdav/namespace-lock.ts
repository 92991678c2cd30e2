import type { GoneSignal } from './request-gone';

type Waiter = {
  readonly kind: 'shared' | 'exclusive';
  /** Undefined once the waiter gave up: what its task would have held is let go at once. */
  start: (() => void) | undefined;
};

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
  private queue: Waiter[] = [];
  private abandonedInQueue = 0;

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
    return this.queue.length - this.abandonedInQueue;
  }

  private run<T>(
    kind: Waiter['kind'],
    task: (leave: () => void) => Promise<T>,
    abandoned: GoneSignal | undefined,
  ): Promise<T | undefined> {
    if (abandoned?.gone === true) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const giveUp = () => {
        if (waiter.start === undefined) return;
        waiter.start = undefined;
        this.abandonedInQueue += 1;
        resolve(undefined);
        this.compact();
        this.pump();
      };
      let stopListening: (() => void) | undefined;
      let started = false;
      const waiter: Waiter = {
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
      };
      this.queue.push(waiter);
      this.pump();
      // Only a waiter that did not start at once listens (a listener per request costs; most never wait).
      if (!started) stopListening = abandoned?.onGone(giveUp);
    });
  }

  private release(kind: Waiter['kind']): void {
    if (kind === 'shared') this.readers--;
    else this.writer = false;
    this.pump();
  }

  /** Drops the waiters that gave up once they are half the queue: linear in all, whatever the order. */
  private compact(): void {
    if (this.abandonedInQueue * 2 < this.queue.length) return;
    this.queue = this.queue.filter((waiter) => waiter.start !== undefined);
    this.abandonedInQueue = 0;
  }

  private pump(): void {
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      if (next.start === undefined) {
        this.queue.shift();
        this.abandonedInQueue -= 1;
        continue;
      }
      if (this.writer) return;
      if (next.kind === 'exclusive' && this.readers > 0) return;
      this.queue.shift();
      if (next.kind === 'shared') this.readers++;
      else this.writer = true;
      next.start();
      if (next.kind === 'exclusive') return;
    }
  }
}
