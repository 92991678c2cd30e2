import { interval, map, type Observable } from 'rxjs';
import { DEFAULT_LOOP_LIMITS } from '../../channel/mux-loop/loop-limits';
import type { LoopInput } from '../../channel/mux-loop/loop-messages';

/** The loop's clock: the reducer counts `tick` inputs to close stalled sessions and collect forgotten ones. */
export function loopTicks(tickMs: number | undefined): Observable<LoopInput> {
  const period = tickMs ?? DEFAULT_LOOP_LIMITS.tickMs ?? 5000;
  return interval(period).pipe(map((): LoopInput => ({ kind: 'tick' })));
}
