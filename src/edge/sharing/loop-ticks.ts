import { interval, map, type Observable } from 'rxjs';
import type { LoopInput } from '../../channel/mux-loop/loop-messages';

/** The loop's clock: the reducer counts `tick` inputs to close stalled sessions and collect forgotten ones. */
export function loopTicks(tickMs: number): Observable<LoopInput<never>> {
  return interval(tickMs).pipe(map((): LoopInput<never> => ({ kind: 'tick' })));
}
