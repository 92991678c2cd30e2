/**
 * Resolves once `condition` holds, checking after each turn of the event loop (no fixed sleeps); gives up
 * after `withinMs` (4 s; keep it inside the spec's jest timeout), so a condition that never comes true fails
 * its spec instead of spinning on after it.
 */
export async function until(condition: () => boolean, withinMs = 4000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the awaited condition never came true');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
