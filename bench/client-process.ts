// A SPICE client under measurement, run as a child process so that ours and the reference are measured the
// same way: CPU seconds from each thread's /proc schedstat (or /proc/PID/stat), peak RSS from VmHWM (reset per
// workload through clear_refs) and a VmRSS sampler as a fallback where clear_refs is not allowed, context switches
// and minor page faults.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64
const KiB = 1024;

export interface ClientSpec {
  /** Short name used in the table and the report. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /**
   * For a Node client: how many threads Node starts besides the main one before any script runs (see
   * `nodePlatformThreadCount`), so that its CPU can be split into V8's threads and libuv's pool.
   */
  nodePlatformThreads?: number;
}

export interface ResourceUse {
  cpuSeconds: number;
  peakRssBytes: number;
  /** Voluntary + involuntary context switches of all the process's threads: how often it slept and woke. */
  contextSwitches: number;
  /** Minor page faults of all its threads: memory touched for the first time (each costs the kernel a trip). */
  minorFaults: number;
  /**
   * CPU seconds of the process's main thread alone (from its schedstat; 0 if unknown): the rest of
   * `cpuSeconds` ran on helper threads (for Node: V8's compiler and GC helpers, libuv's file system pool).
   */
  mainThreadCpuSeconds: number;
  /** A Node client only: CPU seconds of V8's threads (optimizing compiler, GC helpers) and of libuv's pool. */
  helperThreads?: { v8CpuSeconds: number; poolCpuSeconds: number };
}

export type ThreadKind = 'main' | 'v8' | 'pool';

/**
 * Threads Node starts before running any script, besides the main one: V8's platform workers (`--v8-pool-size`,
 * 4 by default: its concurrent compiler and GC helpers) and two of Node's own (the platform's delayed-task
 * scheduler and one more, both idle in a transfer). Threads started later are libuv's thread pool (file system
 * work), started on the first file operation.
 */
export function nodePlatformThreadCount(nodeFlags: readonly string[]): number {
  const poolFlag = nodeFlags.find((flag) => flag.startsWith('--v8-pool-size='));
  return (poolFlag === undefined ? 4 : Number(poolFlag.split('=')[1])) + 2;
}

/**
 * What each thread of a Node process is, told apart by the order Node starts them in (all are named `node`):
 * the main thread, then `platformThreads` of V8 and Node, then libuv's pool.
 */
export function nodeThreadKind(
  pid: number,
  tasks: readonly number[],
  platformThreads: number,
): Map<number, ThreadKind> {
  const sorted = [...tasks].sort((a, b) => a - b);
  return new Map(
    sorted.map((task, index) => [task, task === pid ? 'main' : index <= platformThreads ? 'v8' : 'pool']),
  );
}

/**
 * The fields of /proc/PID/stat after the command name (which may hold spaces), so field n of proc(5) is at
 * n - 3; undefined once the process is gone.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Minor page faults of a process, all threads (minflt); 0 once it is gone. */
export function minorFaults(pid: number): number {
  const fields = statFields(pid);
  return fields === undefined ? 0 : Number(fields[7]);
}

/** utime + stime of a process (all its threads) from /proc/PID/stat; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields === undefined ? 0 : (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Nanoseconds each live thread of a process has run, from its /proc schedstat. /proc/PID/stat counts in 10 ms
 * ticks, which is 0.32 CPU-s per GiB of a 32 MiB transfer: coarser than the differences the bench reports.
 */
export function threadRunNanoseconds(pid: number): Map<string, number> {
  const byThread = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byThread;
  }
  for (const task of tasks) {
    try {
      byThread.set(task, Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byThread;
}

/**
 * CPU seconds a process spent between two readings: from the threads' schedstat when every thread of the first
 * reading is still there (a thread that ended took its time with it), else from /proc/PID/stat's ticks.
 */
function cpuSecondsBetween(
  before: { threads: Map<string, number>; ticks: number },
  after: { threads: Map<string, number>; ticks: number },
): number {
  const ticks = after.ticks - before.ticks;
  if (before.threads.size === 0 || [...before.threads.keys()].some((task) => !after.threads.has(task))) {
    return ticks;
  }
  let nanoseconds = 0;
  for (const [task, ran] of after.threads) nanoseconds += ran - (before.threads.get(task) ?? 0);
  return nanoseconds / 1e9;
}

/**
 * Starts counting a process's CPU, all threads (schedstat's nanoseconds while no thread ends, else /proc's
 * ticks); the returned function reads the seconds spent since.
 */
export function cpuSince(pid: number): () => number {
  const before = { threads: threadRunNanoseconds(pid), ticks: processCpuSeconds(pid) };
  return () =>
    cpuSecondsBetween(before, { threads: threadRunNanoseconds(pid), ticks: processCpuSeconds(pid) });
}

/** CPU seconds a Node process's V8 threads and pool threads ran between two readings of its threads. */
function helperThreadSeconds(
  pid: number,
  before: Map<string, number>,
  after: Map<string, number>,
  platformThreads: number,
): { v8CpuSeconds: number; poolCpuSeconds: number } {
  const kinds = nodeThreadKind(pid, [...after.keys()].map(Number), platformThreads);
  const seconds = { v8CpuSeconds: 0, poolCpuSeconds: 0 };
  for (const [task, ran] of after) {
    const ranNow = (ran - (before.get(task) ?? 0)) / 1e9;
    const kind = kinds.get(Number(task));
    if (kind === 'v8') seconds.v8CpuSeconds += ranNow;
    if (kind === 'pool') seconds.poolCpuSeconds += ranNow;
  }
  return seconds;
}

/** Context switches summed over a process's threads (each thread's /proc status). */
export function processContextSwitches(pid: number): number {
  let total = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const task of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) {
        total += Number(match[1]);
      }
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

export class ClientProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private output = '';
  private sampledPeak = 0;
  private sampler: NodeJS.Timeout | undefined;

  constructor(readonly spec: ClientSpec) {
    this.child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`${this.spec.name} did not start: ${this.output}`);
    return pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Counts the lines of the client's standard output that match `pattern` from now on (e.g. V8's --trace-opt
   * lines); the returned function gives the count so far.
   */
  countOutputLines(pattern: RegExp): () => number {
    let count = 0;
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      count += lines.filter((line) => pattern.test(line)).length;
    });
    return () => count;
  }

  /** Collects the lines of the client's standard output that match `pattern`, from now on (as a live array). */
  collectOutputLines(pattern: RegExp): readonly string[] {
    const matched: string[] = [];
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (pattern.test(line)) matched.push(line);
    });
    return matched;
  }

  /** The last lines the client printed (for error messages). */
  get recentOutput(): string {
    return this.output;
  }

  /** Starts a workload's measurement: resets the peak RSS and notes the CPU time so far. */
  beginMeasure(): () => ResourceUse {
    const cpuBefore = { threads: threadRunNanoseconds(this.pid), ticks: processCpuSeconds(this.pid) };
    const switchesBefore = processContextSwitches(this.pid);
    const faultsBefore = minorFaults(this.pid);
    const hwmResettable = this.resetPeak();
    this.sampledPeak = this.rssBytes();
    this.sampler = setInterval(() => {
      this.sampledPeak = Math.max(this.sampledPeak, this.rssBytes());
    }, 100);
    return () => {
      clearInterval(this.sampler);
      this.sampler = undefined;
      const peak = hwmResettable ? this.statusField('VmHWM') : 0;
      const after = threadRunNanoseconds(this.pid);
      return {
        cpuSeconds: cpuSecondsBetween(cpuBefore, { threads: after, ticks: processCpuSeconds(this.pid) }),
        peakRssBytes: Math.max(peak, this.sampledPeak, this.rssBytes()),
        contextSwitches: processContextSwitches(this.pid) - switchesBefore,
        minorFaults: minorFaults(this.pid) - faultsBefore,
        mainThreadCpuSeconds:
          ((after.get(String(this.pid)) ?? 0) - (cpuBefore.threads.get(String(this.pid)) ?? 0)) / 1e9,
        ...(this.spec.nodePlatformThreads === undefined
          ? {}
          : {
              helperThreads: helperThreadSeconds(
                this.pid,
                cpuBefore.threads,
                after,
                this.spec.nodePlatformThreads,
              ),
            }),
      };
    };
  }

  /** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. */
  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  private resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  private rssBytes(): number {
    return this.statusField('VmRSS');
  }

  private statusField(name: string): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return match === null ? 0 : Number(match[1]) * KiB;
    } catch {
      return 0;
    }
  }
}
