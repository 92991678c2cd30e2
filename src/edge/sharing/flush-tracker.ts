import { asapScheduler, type Observable, Subject, type Subscription } from 'rxjs';
import type { LoopInput, SessionKey } from '../../channel/mux-loop/loop-messages';

/**
 * Turns the socket's write-buffer state into per-frame "flushed" inputs for the loop's credit accounting.
 * A frame counts as flushed when the socket took it below its high-water mark, or else when the socket next
 * drains: until then its session's credit stays in use, so a slow guest slows only the senders, never memory.
 */
export class FlushTracker {
  private readonly subject = new Subject<LoopInput>();
  private pending: SessionKey[] = [];
  private drained: Subscription | undefined;

  readonly flushed$: Observable<LoopInput> = this.subject.asObservable();

  attach(drained$: Observable<void>): void {
    this.detach();
    this.drained = drained$.subscribe(() => this.releasePending());
  }

  detach(): void {
    this.drained?.unsubscribe();
    this.drained = undefined;
    this.pending = [];
  }

  sent(key: SessionKey, belowHighWater: boolean): void {
    if (belowHighWater && this.pending.length === 0) {
      // Never re-enter the loop from inside its own effect: report on the next turn.
      asapScheduler.schedule(() => this.subject.next({ kind: 'frame-flushed', key, bytes: 0 }));
    } else {
      this.pending.push(key);
    }
  }

  private releasePending(): void {
    const keys = this.pending;
    this.pending = [];
    for (const key of keys) this.subject.next({ kind: 'frame-flushed', key, bytes: 0 });
  }
}
