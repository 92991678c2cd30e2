type Entry<T> = { readonly item: T; state: 'waiting' | 'left' | 'taken' };

/**
 * First come, first served, and an item may leave from anywhere in the line (a request whose connection went
 * away). Leaving only marks the item; marked items are dropped at the head, or all at once when they are half
 * the line, so a flood of leavers in any order costs linear work, and none stays referenced for long.
 */
export class LeavableQueue<T> {
  private entries: Entry<T>[] = [];
  private left = 0;

  /** Items waiting (not left, not taken). */
  get size(): number {
    return this.entries.length - this.left;
  }

  /** Adds `item` at the end; the function returned takes it out of the line: true if it was still waiting. */
  add(item: T): () => boolean {
    const entry: Entry<T> = { item, state: 'waiting' };
    this.entries.push(entry);
    return () => {
      if (entry.state !== 'waiting') return false;
      entry.state = 'left';
      this.left += 1;
      if (this.left * 2 >= this.entries.length) {
        this.entries = this.entries.filter((e) => e.state === 'waiting');
        this.left = 0;
      }
      return true;
    };
  }

  /** The first waiting item, still in line. */
  peek(): T | undefined {
    this.dropLeftAtHead();
    return this.entries[0]?.item;
  }

  /** The first waiting item, out of line (it can no longer leave). */
  take(): T | undefined {
    this.dropLeftAtHead();
    const entry = this.entries.shift();
    if (entry === undefined) return undefined;
    entry.state = 'taken';
    return entry.item;
  }

  private dropLeftAtHead(): void {
    while (this.entries[0]?.state === 'left') {
      this.entries.shift();
      this.left -= 1;
    }
  }
}
