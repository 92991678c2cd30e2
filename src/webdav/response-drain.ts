import type { ServerResponse } from 'node:http';

/**
 * Waits until a response that refused a write (`write()` returned false) may take more: 'drained' on its
 * 'drain' event, 'closed' when it is destroyed first (no 'drain' ever follows a close). A client that goes
 * away can make the response flush, and so drain, just before it closes: callers check `res.destroyed` before
 * writing again. Both listeners are removed either way, so a long answer in many pieces does not pile them up.
 */
export function responseDrain(res: ServerResponse): Promise<'drained' | 'closed'> {
  if (res.destroyed) return Promise.resolve('closed');
  return new Promise((resolve) => {
    // A connection that goes away can flush (and so emit 'drain') as it closes.
    const onDrain = (): void => settle(res.destroyed ? 'closed' : 'drained');
    const onClose = (): void => settle('closed');
    const settle = (outcome: 'drained' | 'closed'): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(outcome);
    };
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
