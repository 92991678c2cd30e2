// Turns the webdav channel's SPICEVMC_DATA payloads, one continuous byte stream chunked any way, into
// spice-webdavd mux frames.

import { Observable, type OperatorFunction } from 'rxjs';
import { WireError } from '../wire/errors';
import { demuxStep, initialMuxDemuxState, isMidMuxFrame, type MuxFrame } from '../wire/mux-frame';

export type { MuxFrame } from '../wire/mux-frame';

/** Emits one MuxFrame per frame; errors with WireError('truncated') if the source completes inside one. */
export function muxFrames(): OperatorFunction<Buffer, MuxFrame> {
  return (source) =>
    new Observable<MuxFrame>((subscriber) => {
      let state = initialMuxDemuxState;
      return source.subscribe({
        next(chunk) {
          const step = demuxStep(state, chunk);
          state = step.state;
          for (const frame of step.frames) {
            if (subscriber.closed) return;
            subscriber.next(frame);
          }
        },
        error(error) {
          subscriber.error(error);
        },
        complete() {
          if (isMidMuxFrame(state)) {
            subscriber.error(
              new WireError('truncated', 'the webdav mux stream ended in the middle of a frame'),
            );
          } else {
            subscriber.complete();
          }
        },
      });
    });
}
