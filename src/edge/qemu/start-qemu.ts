import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freeLoopbackPort } from './free-port';
import { GuestCommandChannel } from './guest-command-channel';
import { trackQemu, trackQemuDir, untrackQemu } from './process-registry';
import { qemuArguments, type QemuLaunchPlan, type SpiceListen } from './qemu-args';
import { qemuBinary } from './qemu-binary';
import type { GuestExecOptions, GuestExecResult, QemuExit, QemuOptions, RunningQemu } from './qemu-types';
import { waitForConnectable, waitForMarker } from './readiness';

export const GUEST_READY_MARKER = 'SPICE-WEBDAV-GUEST-READY';
const SPICE_READY_TIMEOUT_MS = 30_000;
/** TCG on two busy cores: a boot that takes 6 s idle can take several times that. */
const DEFAULT_BOOT_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 2_000;
const PORT_CLASH =
  /address already in use|failed to bind|could not set up host forwarding|failed to initialize spice/i;

function bootTimeoutMs(): number {
  const fromEnv = Number(process.env.SPICE_WEBDAV_BOOT_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_BOOT_TIMEOUT_MS;
}

/** KVM only on request: on nested machines /dev/kvm can open and still run the guest at a crawl. */
async function chooseAccelerator(): Promise<'tcg' | 'kvm'> {
  if (process.env.SPICE_WEBDAV_KVM !== '1') return 'tcg';
  try {
    await (await open('/dev/kvm', fsConstants.O_RDWR)).close();
    return 'kvm';
  } catch {
    return 'tcg';
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

class LaunchError extends Error {
  constructor(
    message: string,
    readonly portClash: boolean,
  ) {
    super(message);
  }
}

async function planLaunch(options: QemuOptions, tempDir: string): Promise<QemuLaunchPlan> {
  if (options.unixSocket === true && options.tls !== undefined) {
    throw new Error('startQemu: tls and unixSocket cannot be combined (QEMU offers TLS on TCP ports only)');
  }
  if (!options.guest && options.forwardGuestRelay === true) {
    throw new Error('startQemu: forwardGuestRelay needs a guest (the relay runs in it)');
  }
  if (options.guest && options.webdavPort === false) {
    throw new Error(
      'startQemu: a guest needs the webdav port (spice-webdavd opens it); drop webdavPort: false',
    );
  }
  const spice: SpiceListen =
    options.unixSocket === true
      ? { kind: 'unix', path: join(tempDir, 'spice.sock') }
      : {
          kind: 'tcp',
          port: await freeLoopbackPort(),
          tls:
            options.tls === undefined
              ? undefined
              : {
                  port: await freeLoopbackPort(),
                  x509Dir: options.tls.x509Dir,
                  onlyTls: options.tlsOnlyChannels === true,
                  plaintextChannels: options.plaintextChannels ?? [],
                },
        };
  let passwordFile: string | undefined;
  if (options.spicePassword !== undefined) {
    passwordFile = join(tempDir, 'spice-password');
    await writeFile(passwordFile, options.spicePassword, { mode: 0o600 });
  }
  return {
    accel: await chooseAccelerator(),
    memoryMiB: options.memoryMiB ?? (options.guest ? 512 : 64),
    serialLogPath: join(tempDir, 'serial.log'),
    spice,
    passwordFile,
    webdavPort: options.webdavPort !== false,
    guest: options.guest
      ? {
          image: options.guest,
          commandSocketPath: join(tempDir, 'cmd.sock'),
          webdavForwardPort: options.forwardGuestRelay === true ? await freeLoopbackPort() : undefined,
        }
      : undefined,
  };
}

function exitOf(child: ChildProcess): Promise<QemuExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
}

async function launchOnce(options: QemuOptions): Promise<RunningQemu> {
  // Made and tracked at once (no turn of the loop between): a signal at any point after leaves nothing behind.
  const tempDir = mkdtempSync(join(tmpdir(), 'spice-webdav-qemu-'));
  trackQemuDir(tempDir);
  let child: ChildProcess | undefined;
  try {
    const plan = await planLaunch(options, tempDir);
    child = spawn(qemuBinary(), qemuArguments(plan), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    if (child.pid !== undefined) trackQemu(child.pid, tempDir);
    const spawned = await new Promise<ChildProcess>((resolve, reject) => {
      const proc = child as ChildProcess;
      proc.once('spawn', () => resolve(proc));
      proc.once('error', (error) =>
        reject(
          new Error(
            `cannot start ${qemuBinary()}: ${error.message}. Install it with \`sudo apt-get install qemu-system-x86\``,
          ),
        ),
      );
    });
    const pid = spawned.pid;
    if (pid === undefined) throw new Error(`cannot start ${qemuBinary()}: no process id`);
    return await watchUntilReady(spawned, pid, plan, tempDir);
  } catch (error) {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    untrackQemu(tempDir); // first: its pid is dead and may be reused
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

async function watchUntilReady(
  child: ChildProcess,
  pid: number,
  plan: QemuLaunchPlan,
  tempDir: string,
): Promise<RunningQemu> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
  });
  const exited = exitOf(child);
  let serialSnapshot: string | undefined;
  const serialLog = () => {
    if (serialSnapshot !== undefined) return serialSnapshot;
    try {
      return readFileSync(plan.serialLogPath, 'latin1');
    } catch {
      return '';
    }
  };
  const describe = (headline: string) =>
    [
      headline,
      stderr.trim() === '' ? '' : `QEMU said:\n${lastLines(stderr, 20)}`,
      plan.guest === undefined ? '' : `serial console (last lines):\n${lastLines(serialLog(), 40)}`,
    ]
      .filter((part) => part !== '')
      .join('\n');

  const fail = (error: unknown): never => {
    const message = describe(`QEMU did not become ready: ${(error as Error).message}`);
    throw new LaunchError(message, PORT_CLASH.test(stderr));
  };

  const spiceTarget =
    plan.spice.kind === 'unix' ? { path: plan.spice.path } : { host: '127.0.0.1', port: plan.spice.port };
  await waitForConnectable('the SPICE port', spiceTarget, exited, SPICE_READY_TIMEOUT_MS).catch(fail);

  let commands: GuestCommandChannel | undefined;
  if (plan.guest !== undefined) {
    await waitForMarker(
      'the guest ready marker',
      plan.serialLogPath,
      GUEST_READY_MARKER,
      exited,
      bootTimeoutMs(),
    ).catch(fail);
    commands = await GuestCommandChannel.open(plan.guest.commandSocketPath).catch(fail);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      commands?.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      serialSnapshot = serialLog();
      untrackQemu(tempDir); // first: its pid is dead and may be reused
      await rm(tempDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const guestExec = (command: string, opts?: GuestExecOptions): Promise<GuestExecResult> => {
    if (commands === undefined) {
      return Promise.reject(
        new Error('guestExec needs a guest: start QEMU with startQemu({ guest: await buildGuest() })'),
      );
    }
    return commands.exec(command, opts).catch((error: Error) => {
      throw new Error(describe(error.message));
    });
  };

  return {
    pid,
    spice:
      plan.spice.kind === 'unix'
        ? { host: '127.0.0.1', port: 0, unixPath: plan.spice.path }
        : { host: '127.0.0.1', port: plan.spice.port, tlsPort: plan.spice.tls?.port },
    webdavForwardPort: plan.guest?.webdavForwardPort,
    guestExec,
    serialLog,
    stop,
    exited,
  };
}

/**
 * Starts QEMU with a SPICE server on 127.0.0.1 (or a unix socket), optionally booting the test guest.
 * Resolves once the SPICE port accepts connections and, with a guest, once the guest printed its ready
 * marker. Ports are picked right before the launch; a clash with another process is retried once.
 */
export async function startQemu(options: QemuOptions = {}): Promise<RunningQemu> {
  try {
    return await launchOnce(options);
  } catch (error) {
    if (error instanceof LaunchError && error.portClash) return launchOnce(options);
    throw error;
  }
}
