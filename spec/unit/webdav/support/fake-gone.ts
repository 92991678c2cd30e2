import type { GoneSignal } from '../../../../src/webdav/request-gone';

/** A request the spec says is gone (`leave()`), with how many listen to it. */
export function fakeGone(): GoneSignal & { leave(): void; readonly listeners: number } {
  const listeners = new Set<() => void>();
  let gone = false;
  return {
    get gone() {
      return gone;
    },
    get listeners() {
      return listeners.size;
    },
    onGone(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    leave() {
      gone = true;
      for (const listener of [...listeners]) {
        listeners.delete(listener);
        listener();
      }
    },
  };
}
