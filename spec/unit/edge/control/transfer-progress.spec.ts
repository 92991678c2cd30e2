import type { SharingEvent } from '../../../../src/edge/sharing/sharing-types';
import {
  IDLE_PROGRESS,
  reduceProgress,
  renderProgress,
  type ProgressState,
} from '../../../../src/edge/control/transfer-progress';

const MiB = 1024 * 1024;
const fold = (state: ProgressState, events: readonly [number, SharingEvent][]): ProgressState =>
  events.reduce((s, [t, e]) => reduceProgress(s, e, t), state);

/** A download of `size` bytes on client `id`, one 64 KiB frame every `everyMs`, from `start`. */
function download(
  id: string,
  size: number,
  start: number,
  everyMs: number,
  frames: number,
): [number, SharingEvent][] {
  const out: [number, SharingEvent][] = [];
  for (let i = 0; i < frames; i++) {
    out.push([
      start + i * everyMs,
      { kind: 'traffic', id, direction: 'out', bytes: 65536, ...(i === 0 ? { announcedBytes: size } : {}) },
    ]);
  }
  return out;
}

describe('transfer progress (a pure fold of events and time)', () => {
  it('shows files, bytes, rate and an ETA for a long transfer of known size', () => {
    // 8 MiB announced, 4 MiB moved in 2 s: 2 MiB/s, 4 MiB left, so 2 seconds.
    const state = fold(IDLE_PROGRESS, [
      ...download('c1', 8 * MiB, 0, 31.25, 64),
      [
        1990,
        { kind: 'request', method: 'GET', path: '/small', status: 200, bytesIn: 0, bytesOut: 10, ms: 1 },
      ],
    ]);
    expect(renderProgress(state, 1999)).toBe(
      '1 done, 1 moving, ↓ 4.0 MiB queued for guest, ↑ 0 B from guest, 2.0 MiB/s, ETA 0:02',
    );
  });

  it('counts a download as one transfer, not its request head besides', () => {
    const state = fold(IDLE_PROGRESS, [
      [0, { kind: 'traffic', id: 'c1', direction: 'in', bytes: 85 }], // "GET /big HTTP/1.1 ..." (no body)
      ...download('c1', 50 * MiB, 1, 31.25, 64),
    ]);
    expect(renderProgress(state, 1999)).toMatch(/^0 done, 1 moving, /);
  });

  it('leaves out the ETA when no size is known, and shows nothing for short bursts or when idle', () => {
    const unknown = fold(IDLE_PROGRESS, [
      ...download('c1', 0, 0, 31.25, 64).map(([t, e]): [number, SharingEvent] => [
        t,
        { kind: 'traffic', id: 'c1', direction: 'in', bytes: e.kind === 'traffic' ? e.bytes : 0 },
      ]),
    ]);
    expect(renderProgress(unknown, 1999)).toBe(
      '0 done, 1 moving, ↓ 0 B queued for guest, ↑ 4.0 MiB from guest, 2.0 MiB/s',
    );
    const short = fold(IDLE_PROGRESS, download('c1', 100 * MiB, 0, 1, 32));
    expect(renderProgress(short, 100)).toBeUndefined(); // not yet a second old
    expect(renderProgress(unknown, 60_000)).toBeUndefined(); // quiet for long: the line goes away
  });

  it('starts a new burst after a quiet spell, counting files that carried a body', () => {
    const first = fold(IDLE_PROGRESS, download('c1', 2 * MiB, 0, 10, 32));
    const later = fold(first, [
      ...download('c2', 2 * MiB, 60_000, 50, 32),
      [61_600, { kind: 'request', method: 'PUT', path: '/a', status: 201, bytesIn: 5, bytesOut: 0, ms: 9 }],
      [
        61_600,
        { kind: 'request', method: 'PROPFIND', path: '/', status: 207, bytesIn: 0, bytesOut: 900, ms: 9 },
      ],
    ]);
    expect(later.startedAtMs).toBe(60_000);
    expect(later.bytesOut).toBe(2 * MiB);
    expect(later.files).toBe(1);
  });

  it('takes the line away as soon as the transfer has moved all its bytes', () => {
    // 4 MiB announced and moved within 2 s: still moving at 1.9 s, done (no line, no falling rate) after.
    const moving = fold(IDLE_PROGRESS, download('c1', 4 * MiB, 0, 31.25, 63));
    expect(renderProgress(moving, 1990)).toMatch(/MiB\/s/);
    const done = fold(
      moving,
      download('c1', 4 * MiB, 1969, 31.25, 1).map(
        ([t, e]) => [t, { ...e, announcedBytes: undefined }] as [number, SharingEvent],
      ),
    );
    expect(renderProgress(done, 2000)).toBeUndefined();
  });
});
