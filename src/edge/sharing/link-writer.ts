import { EMPTY, mergeMap, type Observable, of, switchMap } from 'rxjs';
import { frameParts } from '../../channel/mux-loop/reduce-loop';
import type { EdgeEffect, EdgeRunner } from '../../channel/mux-loop/select-loop';
import type { WebdavLink } from '../spice/spice-session';
import { bytesWritten } from '../../webdav/reusable-read-buffers';
import { flushedFrames, type SentFrame } from './flushed-frames';

/**
 * Runs the loop's effects on the webdav channel once it is linked (effects before that have no socket to go
 * to): frames are written, reading is paused and resumed; what comes back are the frames flushed.
 */
export function writeToLink(link$: Observable<WebdavLink>): EdgeRunner<never> {
  return (effects$) =>
    link$.pipe(
      switchMap((link) =>
        effects$.pipe(
          mergeMap((effect) => perform(link, effect)),
          flushedFrames(link.drained$),
        ),
      ),
    );
}

function perform(link: WebdavLink, effect: EdgeEffect): Observable<SentFrame> {
  switch (effect.kind) {
    case 'send-frame': {
      // Once written, a frame's bytes no longer need their buffer: a GET's read buffers are then reused.
      const belowHighWater = link.sendData(frameParts(effect), () => bytesWritten(effect.payload));
      // A zero frame closes a connection: it holds no credit, so there is nothing to give back.
      return effect.key === undefined || effect.payload.length === 0
        ? EMPTY
        : of({ key: effect.key, belowHighWater });
    }
    case 'pause-reading':
      link.pauseReading();
      return EMPTY;
    case 'resume-reading':
      link.resumeReading();
      return EMPTY;
    case 'frame-delivered':
    case 'event':
      return EMPTY;
  }
}
