import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bytesWritten, framesWritten, ReusableReadBuffers } from '../../../src/webdav/reusable-read-buffers';

// Larger than half of Node's 8 KiB Buffer pool, so each buffer has its own memory (as 8 × 65535 bytes do).
const FRAME = 5000;
const SIZE = 4 * FRAME;

function frames(buffer: Buffer, bytes = buffer.length): Buffer[] {
  const views: Buffer[] = [];
  for (let at = 0; at < bytes; at += FRAME) views.push(buffer.subarray(at, Math.min(bytes, at + FRAME)));
  return views;
}

describe('ReusableReadBuffers', () => {
  it('gives a buffer back only once every byte lent was written', () => {
    const pool = new ReusableReadBuffers(SIZE, 4);
    const buffer = pool.take();
    pool.lend(buffer, SIZE);
    const views = frames(buffer);
    for (const view of views.slice(0, -1)) bytesWritten(view);
    expect(pool.freeCount).toBe(0);
    expect(pool.take()).not.toBe(buffer);
    bytesWritten(views[views.length - 1]);
    expect(pool.freeCount).toBe(1);
    expect(pool.take()).toBe(buffer);
  });

  it('says when every lent byte was written, once, and never for a buffer it does not take', () => {
    const pool = new ReusableReadBuffers(SIZE, 4);
    const buffer = pool.take();
    const written = jest.fn();
    expect(pool.lend(buffer, SIZE, written)).toBe(true);
    const views = frames(buffer);
    for (const view of views.slice(0, -1)) bytesWritten(view);
    expect(written).not.toHaveBeenCalled();
    bytesWritten(views[views.length - 1]);
    expect(written).toHaveBeenCalledTimes(1);
    bytesWritten(views[0]);
    expect(written).toHaveBeenCalledTimes(1);

    const foreign = Buffer.alloc(SIZE - 1);
    const never = jest.fn();
    expect(pool.lend(foreign, SIZE - 1, never)).toBe(false);
    bytesWritten(foreign);
    expect(never).not.toHaveBeenCalled();
  });

  it('counts only the bytes a short read filled', () => {
    const pool = new ReusableReadBuffers(SIZE, 4);
    const buffer = pool.take();
    pool.lend(buffer, 12500);
    for (const view of frames(buffer, 12500)) bytesWritten(view);
    expect(pool.take()).toBe(buffer);
  });

  it('never takes back a buffer with a view that was not written (a frame dropped or joined)', () => {
    const pool = new ReusableReadBuffers(SIZE, 4);
    const unsent = pool.take();
    pool.lend(unsent, SIZE);
    for (const view of frames(unsent).slice(1)) bytesWritten(view);
    expect(pool.freeCount).toBe(0);
  });

  it('ignores what it did not lend, and keeps at most maxFree buffers', () => {
    const pool = new ReusableReadBuffers(SIZE, 2);
    bytesWritten(Buffer.alloc(FRAME));
    bytesWritten(Buffer.allocUnsafe(SIZE));
    const foreign = Buffer.alloc(2 * SIZE).subarray(0, SIZE);
    pool.lend(foreign, SIZE);
    bytesWritten(foreign);
    expect(pool.freeCount).toBe(0);
    const lent = [pool.take(), pool.take(), pool.take()];
    for (const buffer of lent) pool.lend(buffer, SIZE);
    for (const buffer of lent) bytesWritten(buffer);
    expect(pool.freeCount).toBe(2);
  });

  it('takes a batch of frames of several buffers at once, each given back once all its bytes are written', () => {
    const pool = new ReusableReadBuffers(SIZE, 4);
    const [first, second] = [pool.take(), pool.take()];
    const written = [jest.fn(), jest.fn()];
    pool.lend(first, SIZE, written[0]);
    pool.lend(second, SIZE, written[1]);
    const foreign = Buffer.alloc(FRAME);
    // The whole of the first, a foreign view, then all of the second but its last frame, then a view of the
    // first again (written twice: ignored).
    framesWritten([...frames(first), foreign, ...frames(second).slice(0, -1), first.subarray(0, FRAME)]);
    expect(written[0]).toHaveBeenCalledTimes(1);
    expect(written[1]).not.toHaveBeenCalled();
    framesWritten(frames(second).slice(-1));
    expect(written[1]).toHaveBeenCalledTimes(1);
    expect(pool.freeCount).toBe(2);
  });
});

describe('ReusableReadBuffers once reads stop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function lentAndWritten(pool: ReusableReadBuffers): Buffer {
    const buffer = pool.take();
    pool.lend(buffer, SIZE);
    framesWritten(frames(buffer));
    return buffer;
  }

  it('lets its free buffers go once none was taken for its idle time, and takes one back if not yet collected', () => {
    const pool = new ReusableReadBuffers(SIZE, 4, 1000);
    const buffer = lentAndWritten(pool);
    expect(pool.freeCount).toBe(1);
    jest.advanceTimersByTime(999);
    expect(pool.freeCount).toBe(1);
    jest.advanceTimersByTime(1);
    expect(pool.freeCount).toBe(0);
    // Held weakly now; the collector has not run (this is still the job that let it go), so the next read
    // reads into it rather than making a second buffer beside it.
    expect(pool.take()).toBe(buffer);
  });

  it('keeps them while reads go on, and lets them go one to two idle times after the last', () => {
    const pool = new ReusableReadBuffers(SIZE, 4, 1000);
    let buffer = lentAndWritten(pool);
    for (let step = 0; step < 10; step += 1) {
      jest.advanceTimersByTime(500);
      const next = lentAndWritten(pool);
      expect(next).toBe(buffer); // reused all along: never let go while reading
      buffer = next;
    }
    expect(pool.freeCount).toBe(1);
    jest.advanceTimersByTime(1000); // the timer armed before the last take fires and re-arms
    expect(pool.freeCount).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(pool.freeCount).toBe(0);
    expect(jest.getTimerCount()).toBe(0); // nothing left armed once idle
  });

  it('takes buffers back again after letting go', () => {
    const pool = new ReusableReadBuffers(SIZE, 4, 1000);
    lentAndWritten(pool);
    jest.advanceTimersByTime(1000);
    const buffer = lentAndWritten(pool);
    expect(pool.freeCount).toBe(1);
    expect(pool.take()).toBe(buffer);
  });
});

describe('ReusableReadBuffers after letting go', () => {
  it('no longer keeps the buffers alive: the collector frees them', async () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const pool = new ReusableReadBuffers(SIZE, 4, 1);
    // Lent and written in a function of its own, so that no variable here keeps the buffer alive.
    const weak = ((): WeakRef<Buffer> => {
      const lent = pool.take();
      pool.lend(lent, SIZE);
      framesWritten(frames(lent));
      return new WeakRef(lent);
    })();
    expect(pool.freeCount).toBe(1);
    while (pool.freeCount > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve)); // a later job: nothing keeps the target for this one
    collect();
    expect(weak.deref()).toBeUndefined();
    expect(pool.take()).toHaveLength(SIZE); // a new one
  });
});
