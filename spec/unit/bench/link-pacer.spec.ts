import {
  admitChunk,
  IDLE_LINK,
  linkShape,
  segmentDelivered,
  type PacerState,
} from '../../../bench/link-pacer';

const KiB = 1024;

describe("the slow link's pacing", () => {
  // 50 Mbit/s = 6250 bytes per ms; 20 ms one way; a queue of 256 KiB.
  const shape = linkShape(50, 20, 256 * KiB);

  it('sends segments back to back at the link rate, each arriving the one-way delay later', () => {
    const { segments } = admitChunk(IDLE_LINK, shape, 1000, 64 * KiB);
    expect(segments.map((s) => [s.offset, s.bytes])).toEqual([
      [0, 16 * KiB],
      [16 * KiB, 16 * KiB],
      [32 * KiB, 16 * KiB],
      [48 * KiB, 16 * KiB],
    ]);
    const perSegmentMs = (16 * KiB) / 6250;
    segments.forEach((segment, i) =>
      expect(segment.deliverAtMs).toBeCloseTo(1000 + (i + 1) * perSegmentMs + 20, 9),
    );
  });

  it('queues a chunk behind the ones still on the link, and starts at once on an idle link', () => {
    const first = admitChunk(IDLE_LINK, shape, 0, 6250); // 1 ms of link time
    const second = admitChunk(first.state, shape, 0.5, 6250);
    expect(second.segments.map((s) => s.deliverAtMs)).toEqual([2 + 20]);
    const later = admitChunk(second.state, shape, 100, 6250);
    expect(later.segments.map((s) => s.deliverAtMs)).toEqual([101 + 20]);
  });

  it('moves N bytes in N / rate of link time, whatever the chunking', () => {
    let state: PacerState = IDLE_LINK;
    let last = 0;
    for (const size of [1, 100, 65535, 7, 16 * KiB, 16 * KiB + 1, 300_000]) {
      const admitted = admitChunk(state, shape, 0, size);
      state = admitted.state;
      last = admitted.segments.at(-1)?.deliverAtMs ?? last;
    }
    const total = 1 + 100 + 65535 + 7 + 16 * KiB + 16 * KiB + 1 + 300_000;
    expect(last).toBeCloseTo(total / 6250 + 20, 9);
    expect(state.queuedBytes).toBe(total);
  });

  it('pauses the source once when the queue passes its limit, and resumes it once below half', () => {
    let state: PacerState = IDLE_LINK;
    const pauses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const admitted = admitChunk(state, shape, 0, 64 * KiB);
      state = admitted.state;
      if (admitted.pause) pauses.push(i);
    }
    // 4 × 64 KiB = the limit; the fifth chunk passes it. A source still sending while paused does not pause again.
    expect(pauses).toEqual([4]);
    const resumes: number[] = [];
    let delivered = 0;
    while (state.queuedBytes > 0) {
      const after = segmentDelivered(state, shape, 16 * KiB);
      state = after.state;
      delivered += 16 * KiB;
      if (after.resume) resumes.push(state.queuedBytes);
    }
    expect(delivered).toBe(10 * 64 * KiB);
    expect(resumes).toEqual([128 * KiB]);
    expect(state.sourcePaused).toBe(false);
  });
});
