import { type Observable, switchMap } from 'rxjs';
import { mapToMany } from '../../channel/map-to-many';
import type { EdgeEffect, EdgeRunner } from '../../channel/mux-loop/select-loop';
import type { WebdavLink } from '../spice/spice-session';
import { framesWritten } from '../../webdav/reusable-read-buffers';
import { flushedFrames, type SentFrames } from './flushed-frames';

/**
 * Runs the loop's effects on the webdav channel once it is linked (effects before that have no socket to go
 * to): frames are written, reading is paused and resumed; what comes back are the frames flushed.
 */
export function writeToLink(link$: Observable<WebdavLink>): EdgeRunner<never> {
  return (effects$) =>
    link$.pipe(
      switchMap((link) =>
        effects$.pipe(
          mapToMany((effect) => perform(link, effect)),
          flushedFrames(link.drained$),
        ),
      ),
    );
}

function perform(link: WebdavLink, effect: EdgeEffect): readonly SentFrames[] {
  switch (effect.kind) {
    case 'send-frames': {
      const { payloads, key } = effect;
      // Once written, frames' bytes no longer need their buffers: a GET's read buffers are then reused.
      const belowHighWater = link.sendFrames(effect.id, payloads, () => framesWritten(payloads));
      return [{ key, frames: payloads.length, belowHighWater }];
    }
    case 'close-frames':
      // They hold no credit: there is nothing to give back once written.
      link.sendCloseFrames(effect.ids);
      return [];
    case 'pause-reading':
      link.pauseReading();
      return [];
    case 'resume-reading':
      link.resumeReading();
      return [];
    case 'frames-delivered':
    case 'event':
      return [];
  }
}
