/**
 * Resolves once `condition` holds, checking after each turn of the event loop (no fixed sleeps); gives up
 * after 4 s, inside jest's own timeout, so a condition that never comes true fails its spec instead of
 * spinning on after it.
 */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 4000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the awaited condition never came true');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
