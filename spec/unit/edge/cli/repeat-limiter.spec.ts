import { RepeatLimiter } from '../../../../src/edge/cli/repeat-limiter';

describe('RepeatLimiter', () => {
  it('shows a kind `perWindow` times a window, then tells how many were left out with the next one shown', () => {
    const limiter = new RepeatLimiter(2, 1000);
    const shown = (kind: string, now: number) => limiter.judge(kind, now);
    expect(shown('port-opened', 0)).toEqual({ show: true, leftOut: 0 });
    expect(shown('port-opened', 10)).toEqual({ show: true, leftOut: 0 });
    // 20,000 port events from a hostile server were 10,000 log lines: past the window's two, none.
    for (let i = 0; i < 20_000; i++) expect(shown('port-opened', 20).show).toBe(false);
    // Another kind has its own count.
    expect(shown('server-notice', 30)).toEqual({ show: true, leftOut: 0 });
    // The next window: shown again, saying how many were not.
    expect(shown('port-opened', 1000)).toEqual({ show: true, leftOut: 20_000 });
    expect(shown('port-opened', 1001)).toEqual({ show: true, leftOut: 0 });
  });
});
