import fc from 'fast-check';
import { MuxConnection } from '../../../../src/webdav/session/mux-connection';
import { ConnectionCut } from '../../../../src/webdav/connection-cut';

const MAX = 65535;
const tick = () => new Promise((resolve) => process.nextTick(resolve));

function connection(highWaterMark?: number): { conn: MuxConnection; notified: () => number } {
  let count = 0;
  const conn = new MuxConnection(() => (count += 1), highWaterMark);
  return { conn, notified: () => count };
}

describe('MuxConnection: response side', () => {
  it('hands out a read of whole frames as views of that read, without copying', async () => {
    const { conn } = connection(1024 * 1024);
    const read = Buffer.alloc(4 * MAX, 7);
    conn.write(read);
    await tick();
    const frames = [conn.takeFrame(MAX), conn.takeFrame(MAX), conn.takeFrame(MAX), conn.takeFrame(MAX)];
    for (const frame of frames) {
      expect(frame?.length).toBe(MAX);
      expect(frame?.buffer).toBe(read.buffer);
    }
    expect(conn.takeFrame(MAX)).toBeUndefined();
  });

  it('joins small neighbouring writes (a head, chunk markers) up to one frame, never splitting a big one', async () => {
    const { conn } = connection(1024 * 1024);
    conn.cork();
    conn.write('HTTP/1.1 200 OK\r\n\r\n');
    conn.write('5\r\n');
    conn.write('hello');
    conn.write(Buffer.alloc(MAX));
    conn.uncork();
    await tick();
    expect(conn.takeFrame(MAX)?.toString()).toBe('HTTP/1.1 200 OK\r\n\r\n5\r\nhello');
    expect(conn.takeFrame(MAX)?.length).toBe(MAX);
  });

  it('takes up to a limit of frames at once, continuing inside a big write and joining its rest with what follows', async () => {
    const { conn } = connection(1024 * 1024);
    const read = Buffer.alloc(2 * MAX + 100, 1);
    conn.cork();
    conn.write(read);
    conn.write(Buffer.alloc(50, 2));
    conn.uncork();
    await tick();
    const first = conn.takeFrames(MAX, 1);
    expect(first.map((frame) => frame.length)).toEqual([MAX]);
    const rest = conn.takeFrames(MAX, 10);
    expect(rest.map((frame) => frame.length)).toEqual([MAX, 150]);
    expect(rest[0]?.buffer).toBe(read.buffer);
    expect(rest[1]).toEqual(Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(50, 2)]));
    expect(conn.takeFrames(MAX, 10)).toEqual([]);
    expect(conn.responseBytes).toBe(0);
  });

  it('gives back exactly the bytes written, in order, in frames of at most the size asked, however taken', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 350 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 8 }),
        async (sizes, limits) => {
          const { conn } = connection(1024 * 1024);
          const writes = sizes.map((size, n) => Buffer.alloc(size, n + 1));
          conn.cork();
          for (const chunk of writes) conn.write(chunk);
          conn.uncork();
          await tick();
          const frames: Buffer[] = [];
          for (let turn = 0; conn.responseBytes > 0; turn += 1) {
            const taken = conn.takeFrames(100, limits[turn % limits.length] ?? 1);
            expect(taken.length).toBeGreaterThan(0);
            for (const frame of taken) expect(frame.length).toBeGreaterThan(0);
            for (const frame of taken) expect(frame.length).toBeLessThanOrEqual(100);
            frames.push(...taken);
          }
          expect(Buffer.concat(frames)).toEqual(Buffer.concat(writes));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('tells the session once per tick, however many writes it made', async () => {
    const { conn, notified } = connection();
    conn.write('a');
    conn.write('b');
    conn.write('c');
    expect(notified()).toBe(0);
    await tick();
    expect(notified()).toBe(1);
  });

  it('completes a write only below the high-water mark, so the server holds the rest', async () => {
    const { conn } = connection(100);
    let firstDone = false;
    let secondDone = false;
    conn.write(Buffer.alloc(150), () => (firstDone = true));
    conn.write(Buffer.alloc(10), () => (secondDone = true));
    await tick();
    await tick();
    expect(conn.responseBytes).toBe(150);
    expect(firstDone).toBe(false);
    conn.takeFrame(100);
    await tick();
    await tick();
    expect(firstDone).toBe(true);
    expect(secondDone).toBe(true);
    expect(conn.responseBytes).toBe(60);
  });

  it('completes writes beyond the mark while acceptAhead allows, for the response that asked', async () => {
    const { conn } = connection(100);
    const done: string[] = [];
    conn.acceptAhead(200);
    // 150 queued: under 100 + 200, so it completes at once; 300 does not.
    expect(conn.write(Buffer.alloc(150), () => done.push('read 1'))).toBe(true);
    expect(conn.write(Buffer.alloc(150), () => done.push('read 2'))).toBe(false);
    await tick();
    await tick();
    expect(done).toEqual(['read 1']);
    expect(conn.responseBytes).toBe(300); // the second waits queued, whole, for the next take
    conn.takeFrame(100);
    await tick();
    await tick();
    expect(done).toEqual(['read 1', 'read 2']); // 200 left: under 100 + 200
    // Back to the plain mark: the next write waits until less than 100 is queued.
    conn.acceptAhead(0);
    conn.write(Buffer.alloc(10), () => done.push('read 3'));
    await tick();
    await tick();
    expect(done).toEqual(['read 1', 'read 2']);
    conn.takeFrames(100, 2);
    await tick();
    await tick();
    expect(done).toEqual(['read 1', 'read 2', 'read 3']);
  });

  it('is done once the server ended and everything was taken', async () => {
    const { conn } = connection();
    conn.end('bye');
    await tick();
    await tick();
    expect(conn.responseDone).toBe(false);
    expect(conn.takeFrame(MAX)?.toString()).toBe('bye');
    expect(conn.responseDone).toBe(true);
  });
});

describe('MuxConnection: request side', () => {
  it('reports each delivery consumed, in order, only as the server reads', async () => {
    const { conn } = connection(16);
    const consumed: number[] = [];
    for (let i = 0; i < 5; i++) conn.deliver([Buffer.alloc(10, i)], () => consumed.push(i));
    // 16 bytes of room: the first push fits, the second fills it, the rest wait.
    expect(consumed).toEqual([0]);
    const seen: number[] = [];
    conn.on('data', (chunk: Buffer) => seen.push(chunk[0]));
    for (let i = 0; i < 5; i++) await tick();
    expect(consumed).toEqual([0, 1, 2, 3, 4]);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it("passes a delivery's pieces on as they are, in order, and reports it consumed once", async () => {
    const { conn } = connection(16);
    const consumed: string[] = [];
    const frame = [Buffer.from('abcdefghij'), Buffer.from('klmnopqrst'), Buffer.from('uv')];
    conn.deliver(frame, () => consumed.push('frame'));
    conn.deliver([Buffer.from('next')], () => consumed.push('next'));
    // The pieces went over the 16 bytes of room together: the frame counts as consumed when the server reads.
    expect(consumed).toEqual([]);
    const seen: Buffer[] = [];
    conn.on('data', (chunk: Buffer) => seen.push(chunk));
    for (let i = 0; i < 3; i++) await tick();
    expect(consumed).toEqual(['frame', 'next']);
    expect(seen.slice(0, 3).every((chunk, i) => chunk === frame[i])).toBe(true);
    expect(Buffer.concat(seen).toString()).toBe('abcdefghijklmnopqrstuvnext');
  });

  it('drops deliveries after it was destroyed, and says they are consumed (the loop frees their share)', () => {
    const { conn } = connection();
    const read: Buffer[] = [];
    conn.on('data', (chunk: Buffer) => read.push(chunk));
    conn.destroy();
    const consumed: number[] = [];
    conn.deliver([Buffer.from('late')], () => consumed.push(1));
    expect(consumed).toEqual([1]);
    expect(read).toEqual([]);
  });

  it('deliveries the server had not read when it was destroyed count as consumed', () => {
    const { conn } = connection(4);
    const consumed: string[] = [];
    conn.deliver([Buffer.from('unread')], () => consumed.push('first'));
    conn.deliver([Buffer.from('waiting')], () => consumed.push('second'));
    expect(consumed).toEqual([]); // nobody reads: the first is over the high-water mark, the second waits
    conn.destroy();
    expect(consumed).toEqual(['first', 'second']);
  });

  it('a cut (ConnectionCut) drops what was queued for the guest; a plain destroy lets it go out', () => {
    const cut = connection().conn;
    cut.on('error', () => undefined); // the cut's error, as the session and Node's HTTP server take it
    cut.write(Buffer.from('queued'));
    cut.destroy(new ConnectionCut());
    expect(cut.takeFrames(100, 4)).toEqual([]);
    expect(cut.responseDone).toBe(true);
    const plain = connection().conn;
    plain.write(Buffer.from('queued'));
    plain.destroy();
    expect(plain.takeFrames(100, 4).map((frame) => frame.toString())).toEqual(['queued']);
    expect(plain.responseDone).toBe(true);
  });
});
