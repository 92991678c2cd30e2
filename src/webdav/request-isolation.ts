import * as domain from 'node:domain';

/**
 * Runs the one call we make into webdav-server (dav-capabilities.ts) so that an exception thrown later from
 * inside a library callback (fs callbacks, streams and timers created while handling) is delivered to
 * `onError` instead of crashing the process. Node's `domain` module is deprecated in documentation but is the only mechanism that routes
 * asynchronous throws of code we do not own to a per-request handler without a process-wide
 * 'uncaughtException' hook (which would belong to the application, not to this layer).
 *
 * Not covered: throws from listeners on emitters created outside the domain (the real request and response,
 * the connection), and unhandled promise rejections. The library never meets either: its request and its
 * response are created inside the domain and attached to no connection.
 */
export function runIsolated(task: () => void, onError: (error: unknown) => void): void {
  const isolation = domain.create();
  let reported = false;
  const report = (error: unknown) => {
    if (reported) return;
    reported = true;
    onError(error);
  };
  isolation.on('error', report);
  try {
    isolation.run(task);
  } catch (error) {
    report(error);
  }
}
