import type { SharingEvent } from '../../../../src/edge/sharing/sharing-types';
import {
  INITIAL_STATUS,
  reduceStatus,
  renderStatus,
  statusReport,
  type StatusState,
} from '../../../../src/edge/control/sharing-status';
import { addBytes, bytesPerSecond, EMPTY_RATE } from '../../../../src/edge/control/traffic-rate';

const fold = (events: readonly [number, SharingEvent][]): StatusState =>
  events.reduce((state, [t, e]) => reduceStatus(state, e, t), INITIAL_STATUS);

const endpoint = { kind: 'tcp', host: '127.0.0.1', port: 5900, secure: false } as const;

describe('status folded from events', () => {
  it('tells the channel, the guest port, the share and each client with bytes and current rate', () => {
    const state = fold([
      [0, { kind: 'connected', sessionId: 7, endpoint }],
      [10, { kind: 'channel-ready', endpoint, lz4: false }],
      [20, { kind: 'sharing-started', share: { path: '/srv', readOnly: true } }],
      [30, { kind: 'port-opened' }],
      [1000, { kind: 'client-opened', id: '0100000000000000' }],
      [1000, { kind: 'traffic', id: '0100000000000000', direction: 'in', bytes: 200 }],
      [1500, { kind: 'traffic', id: '0100000000000000', direction: 'out', bytes: 65535 }],
      [1600, { kind: 'traffic', id: '0100000000000000', direction: 'out', bytes: 65535 }],
      [1700, { kind: 'client-opened', id: '0200000000000000' }],
    ]);
    const report = statusReport(state, 2000);
    expect(report).toEqual({
      channel: 'ready',
      endpoint: '127.0.0.1:5900',
      guestPort: 'open',
      shared: { path: '/srv', readOnly: true },
      readingPaused: false,
      requests: 0,
      compression: { lz4: false, messages: 0, compressedBytes: 0, bytes: 0 },
      clients: [
        {
          id: '0100000000000000',
          bytesIn: 200,
          bytesOut: 131070,
          rateInBytesPerSecond: 100,
          rateOutBytesPerSecond: 65535,
          openForMs: 1000,
        },
        {
          id: '0200000000000000',
          bytesIn: 0,
          bytesOut: 0,
          rateInBytesPerSecond: 0,
          rateOutBytesPerSecond: 0,
          openForMs: 300,
        },
      ],
    });
    expect(renderStatus(report)).toContain('shared:  /srv (read-only)');
    // Later, with nothing moving, the rate falls to zero but the totals stay.
    expect(statusReport(state, 10_000).clients[0]).toMatchObject({
      bytesOut: 131070,
      rateOutBytesPerSecond: 0,
    });
  });

  it('counts the compressed messages once LZ4 was asked for, and says so (or that it is off)', () => {
    const off = fold([[0, { kind: 'channel-ready', endpoint, lz4: false }]]);
    expect(renderStatus(statusReport(off, 1))).toContain('compression: off');
    const asked = fold([[0, { kind: 'channel-ready', endpoint, lz4: true }]]);
    expect(renderStatus(statusReport(asked, 1))).toContain(
      'compression: LZ4 asked for; nothing compressed so far',
    );
    const used = fold([
      [0, { kind: 'channel-ready', endpoint, lz4: true }],
      [1, { kind: 'compressed-data', compressedBytes: 1000, bytes: 65551 }],
      [2, { kind: 'compressed-data', compressedBytes: 24000, bytes: 65551 }],
    ]);
    expect(statusReport(used, 3).compression).toEqual({
      lz4: true,
      messages: 2,
      compressedBytes: 25000,
      bytes: 131102,
    });
    expect(renderStatus(statusReport(used, 3))).toContain(
      'compression: LZ4 asked for; 2 messages compressed, 128.0 KiB of guest data in 24.4 KiB (19 %)',
    );
    // A new channel (after a reconnect) starts a new count.
    expect(reduceStatus(used, { kind: 'channel-ready', endpoint, lz4: false }, 4).compression.messages).toBe(
      0,
    );
  });

  it('forgets closed clients and all of them when the guest daemon goes away', () => {
    const open = fold([
      [0, { kind: 'port-opened' }],
      [1, { kind: 'client-opened', id: 'a' }],
      [2, { kind: 'client-opened', id: 'b' }],
      [3, { kind: 'client-closed', id: 'a', by: 'guest', bytesIn: 1, bytesOut: 2 }],
    ]);
    expect([...open.clients.keys()]).toEqual(['b']);
    const closed = reduceStatus(open, { kind: 'port-closed', droppedClients: 1 }, 4);
    expect(closed.clients.size).toBe(0);
    expect(statusReport(closed, 5).guestPort).toBe('closed');
    expect(reduceStatus(closed, { kind: 'sharing-stopped', droppedClients: 0 }, 6).shared).toBeNull();
  });

  it('computes the rate over the last two seconds in quarter-second slots', () => {
    let w = EMPTY_RATE;
    for (let t = 0; t < 4000; t += 100) w = addBytes(w, 1000, t);
    expect(bytesPerSecond(w, 3999)).toBe(10_000);
    expect(w.slots.length).toBeLessThanOrEqual(8);
    expect(bytesPerSecond(w, 7000)).toBe(0);
  });

  it('reports several folders as a list of {name, path, readOnly}, each with its own flag', () => {
    const shares = [
      { name: 'docs', path: '/a', readOnly: false },
      { name: 'music', path: '/b', readOnly: true },
    ];
    const report = statusReport(fold([[0, { kind: 'sharing-started', share: { shares } }]]), 0);
    expect(report.shared).toEqual({ shares });
    expect(renderStatus(report)).toContain('shared:  docs=/a, music=/b (read-only)');
  });
});
