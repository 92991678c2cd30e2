import {
  DEFAULT_LOCK_SECONDS,
  grantedTimeout,
  MAX_LOCK_SECONDS,
} from '../../../../src/webdav/locks/timeout-header';

describe('grantedTimeout', () => {
  it.each([
    [undefined, DEFAULT_LOCK_SECONDS],
    ['Second-3600', 3600],
    ['second-10', 10],
    ['Second-0', 1],
    ['Infinite', MAX_LOCK_SECONDS],
    ['Infinite, Second-4100000000', MAX_LOCK_SECONDS],
    ['Second-99999999999', MAX_LOCK_SECONDS],
    ['Second-abc', DEFAULT_LOCK_SECONDS],
    ['Second-abc, Second-20', 20],
    ['', DEFAULT_LOCK_SECONDS],
  ])('grants %j as %d seconds', (header, seconds) => {
    expect(grantedTimeout(header)).toBe(seconds);
  });
});
