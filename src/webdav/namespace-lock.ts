type Waiter = { readonly kind: 'shared' | 'exclusive'; readonly start: () => void };

/**
 * A readers/writer lock over one share's namespace (which name means which file or folder). Every guest
 * request resolves its paths and acts on them while holding it, so no other guest request can move, replace
 * or delete a folder between the check and the use: reads (GET's open, PROPFIND) share it; MOVE, COPY,
 * DELETE, MKCOL, LOCK's creation and PUT's open and commit (a small PUT's whole placement, its body already
 * read) hold it alone. It is never held while a file body streams. Waiters are served in arrival order, so a stream of readers cannot starve a writer.
 */
export class NamespaceLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Waiter[] = [];

  /**
   * Runs `task` alongside other shared tasks, never alongside an exclusive one. The task may give the lock up
   * before it ends (`leave`), once what is left of it needs no protection: a listing that is only waiting for
   * the guest to read its answer must not hold every writer, and every request queued behind one, meanwhile.
   */
  shared<T>(task: (leave: () => void) => Promise<T>): Promise<T> {
    return this.run('shared', task);
  }

  /** Runs `task` alone. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.run('exclusive', task);
  }

  private run<T>(kind: Waiter['kind'], task: (leave: () => void) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        kind,
        start: () => {
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
    });
  }

  private release(kind: Waiter['kind']): void {
    if (kind === 'shared') this.readers--;
    else this.writer = false;
    this.pump();
  }

  private pump(): void {
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
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
