/**
 * Calls `onClosed` once when the reader of stdout or stderr goes away (EPIPE: `spice-webdav ... | head -1`,
 * or a log collector that restarts); later write errors on them are ignored. Without a listener the first
 * failed write was an unhandled 'error': a stack trace, exit 1, and the control socket's file and the demo's
 * folder left behind.
 */
export function whenOutputClosed(onClosed: () => void): void {
  let told = false;
  const onError = (error: NodeJS.ErrnoException): void => {
    if (told) return;
    told = true;
    if (error.code !== 'EPIPE') process.exitCode = 1;
    onClosed();
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
