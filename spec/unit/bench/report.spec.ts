import { processContextSwitches, processCpuSeconds } from '../../../bench/client-process';
import { verdict } from '../../../bench/report';

const spread = (min: number, max: number) => ({ median: (min + max) / 2, min, max });

describe('bench report: which differences are beyond the noise', () => {
  it('calls overlapping ranges of rounds within noise, whatever the medians', () => {
    expect(verdict(spread(9, 18), spread(5, 16), 4, true)).toBe('within noise');
    expect(verdict(spread(10, 10), spread(10, 12), 4, true)).toBe('within noise');
  });

  it('calls separate ranges better or worse by the direction of the figure', () => {
    expect(verdict(spread(20, 22), spread(10, 12), 4, true)).toBe('ours better');
    expect(verdict(spread(20, 22), spread(10, 12), 4, false)).toBe('ours worse');
    expect(verdict(spread(1, 2), spread(3, 4), 4, false)).toBe('ours better');
  });

  it('tells nothing apart with fewer than 3 rounds a side, and nothing without both clients', () => {
    expect(verdict(spread(20, 22), spread(10, 12), 2, true)).toBe('too few rounds');
    expect(verdict(spread(20, 22), undefined, 4, true)).toBe('');
  });
});

describe('bench process figures from /proc', () => {
  it('counts context switches over all threads and reads CPU time of a live process', () => {
    expect(processContextSwitches(process.pid)).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
  });

  it('gives 0 for a process that does not exist', () => {
    // PIDs above the kernel's pid_max (at most 2^22) are never in use.
    expect(processContextSwitches(2 ** 23)).toBe(0);
    expect(processCpuSeconds(2 ** 23)).toBe(0);
  });
});
