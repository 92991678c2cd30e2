import { spawn } from 'node:child_process';

import { SpiceConnectionError } from '../spice/errors';

/** virsh answers within seconds; a remote URI over ssh may wait on a host that is down. */
export const VIRSH_TIMEOUT_MS = 30_000;
/** A domain's XML is a few KiB; this bounds what a misbehaving virsh (or remote end) can make us hold. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface VirshOptions {
  readonly uri: string | undefined;
  /** The virsh binary: the option, else $SPICE_WEBDAV_VIRSH (the specs' fake virsh), else `virsh`. */
  readonly virsh?: string;
  readonly timeoutMs?: number;
}

export function virshBinary(options: Pick<VirshOptions, 'virsh'>): string {
  return options.virsh ?? process.env.SPICE_WEBDAV_VIRSH ?? 'virsh';
}

/** virsh's arguments for a command: the connection URI first when one is given. */
export function virshArguments(uri: string | undefined, command: readonly string[]): string[] {
  return uri === undefined ? [...command] : ['-c', uri, ...command];
}

/** The environment for virsh: untranslated messages (we read them), nothing else changed. */
export function virshEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C' };
}

/** What a failed virsh command said, before it is turned into a SpiceConnectionError. */
export class VirshFailure extends Error {
  constructor(
    readonly command: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(stderr.trim() === '' ? `virsh ${command.join(' ')} failed (exit ${exitCode})` : stderr.trim());
    this.name = 'VirshFailure';
  }
}

/**
 * Runs one virsh command (an argument array, never a shell) and resolves with its stdout. Secrets never go
 * on its command line: they come back on stdout (dumpxml --security-info). Rejects with a
 * SpiceConnectionError when virsh cannot be run, or a VirshFailure with virsh's stderr when it fails.
 */
export function runVirsh(command: readonly string[], options: VirshOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const binary = virshBinary(options);
    const child = spawn(binary, virshArguments(options.uri, command), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: virshEnvironment(),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        settle(() =>
          reject(new VirshFailure(command, `virsh printed more than ${MAX_OUTPUT_BYTES} bytes`, null)),
        );
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    const timeoutMs = options.timeoutMs ?? VIRSH_TIMEOUT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() =>
        reject(
          new SpiceConnectionError(
            'libvirt',
            `virsh ${virshArguments(options.uri, command).join(' ')} gave no answer within ${Math.round(timeoutMs / 1000)} s: is the libvirt host reachable?`,
          ),
        ),
      );
    }, timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) =>
      settle(() =>
        reject(
          new SpiceConnectionError(
            'libvirt',
            error.code === 'ENOENT'
              ? `Cannot run ${binary}: it is not installed. Install libvirt's command line client (Debian/Ubuntu: apt install libvirt-clients; Fedora: dnf install libvirt-client).`
              : `Cannot run ${binary}: ${error.message}.`,
            { cause: error },
          ),
        ),
      ),
    );
    child.once('close', (code) =>
      settle(() => {
        if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
        else reject(new VirshFailure(command, Buffer.concat(stderr).toString('utf8'), code));
      }),
    );
  });
}
