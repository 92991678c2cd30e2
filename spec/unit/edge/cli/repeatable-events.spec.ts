import { repeatableKind } from '../../../../src/edge/cli/repeatable-events';
import { RepeatLimiter } from '../../../../src/edge/cli/repeat-limiter';
import type { SharingEvent } from '../../../../src/edge/sharing/sharing-types';

const failedCopy: SharingEvent = {
  kind: 'request',
  method: 'COPY',
  path: '/hello.txt',
  status: 502,
  bytesIn: 0,
  bytesOut: 80,
  ms: 1,
};

describe('lines the guest or the server can repeat at will', () => {
  it('are the port events, notices, resyncs and failed requests; a request that succeeded is not one', () => {
    expect(repeatableKind(failedCopy)).toBe('request-failed');
    expect(repeatableKind({ ...failedCopy, status: 201 })).toBeUndefined();
    expect(repeatableKind({ kind: 'stream-resynced', skippedBytes: 1 } as SharingEvent)).toBe(
      'stream-resynced',
    );
    expect(repeatableKind({ kind: 'port-opened' } as SharingEvent)).toBe('port-opened');
    expect(repeatableKind({ kind: 'sharing-stopped', droppedClients: 0 })).toBeUndefined();
  });

  it('a pipeline of failing requests makes 10 lines in 10 s, and the next one says how many were left out', () => {
    // An attacker's guest program: 89,600 "COPY /hello.txt failed with 502" lines in 10 s before.
    const limiter = new RepeatLimiter();
    const shown = Array.from({ length: 90_000 }, (_, i) =>
      limiter.judge(repeatableKind(failedCopy) ?? '', i / 9),
    ).filter((verdict) => verdict.show).length;
    expect(shown).toBe(10);
    expect(limiter.judge('request-failed', 10_000)).toEqual({ show: true, leftOut: 89_990 });
  });
});
