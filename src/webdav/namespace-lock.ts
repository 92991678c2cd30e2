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

  /** Runs `task` alongside other shared tasks, never alongside an exclusive one. */
  shared<T>(task: () => Promise<T>): Promise<T> {
    return this.run('shared', task);
  }

  /** Runs `task` alone. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.run('exclusive', task);
  }

  private run<T>(kind: Waiter['kind'], task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        kind,
        start: () => {
          Promise.resolve()
            .then(task)
            .then(resolve, reject)
            .finally(() => this.release(kind));
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
