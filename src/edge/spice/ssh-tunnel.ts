import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The ssh login a remote libvirt URI (qemu+ssh://[user@]host[:port]/system) names: a SPICE display on that
 * host's loopback is reached through it, as virt-viewer does: `ssh [-p PORT] [-l USER] HOST nc ADDRESS PORT`.
 */
export interface SshHop {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
}

/**
 * ssh's argument array (never a shell on this side) for a tunnel to ADDRESS:PORT as seen from the hop.
 * BatchMode: a password prompt has no terminal here; keys or an agent are needed (as for virsh over ssh).
 * `-e none`: no escape character in a binary stream. The remote command is `nc ADDRESS PORT`; the address is
 * libvirt's listen address (an IP) and the port a number, so the remote shell sees nothing to interpret.
 */
export function sshTunnelArguments(hop: SshHop, address: string, port: number): string[] {
  if (!/^[0-9a-fA-F.:]+$/.test(address) && address !== 'localhost') {
    throw new TypeError(`not an IP address for a tunnel: ${address}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`not a port: ${port}`);
  return [
    ...(hop.port === undefined ? [] : ['-p', String(hop.port)]),
    ...(hop.user === undefined ? [] : ['-l', hop.user]),
    '-o',
    'BatchMode=yes',
    '-e',
    'none',
    '--',
    hop.host,
    'nc',
    address,
    String(port),
  ];
}

/** The ssh binary: $SPICE_WEBDAV_SSH (the specs' stand-in) or `ssh` from PATH. */
export function sshBinary(): string {
  return process.env.SPICE_WEBDAV_SSH ?? 'ssh';
}

/** What ssh said last on stderr, for errors (bounded). */
const MAX_STDERR_CHARS = 4096;

export interface TunnelSocket {
  /** Our end: a real unix socket whose other end is ssh's stdin and stdout. */
  readonly socket: net.Socket;
  /** ssh's recent stderr, e.g. "Permission denied (publickey)" or "nc: command not found". */
  readonly stderr: () => string;
}

/**
 * Starts ssh with its stdin and stdout on one end of a connected unix socket pair and resolves with the other
 * end, so SPICE (and TLS over it) runs on an ordinary socket. The pair is made through a listening socket in
 * a private (0700) temp dir that is removed as soon as the pair exists. ssh is killed when our end closes.
 */
export function openSshTunnel(hop: SshHop, address: string, port: number): Promise<TunnelSocket> {
  const args = sshTunnelArguments(hop, address, port);
  return new Promise((resolve, reject) => {
    const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-tunnel-'));
    const path = join(dir, 'pair.sock');
    const server = net.createServer();
    const cleanup = (): void => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    };
    server.once('error', (error) => {
      cleanup();
      reject(error);
    });
    server.once('connection', (theirEnd: net.Socket) => {
      cleanup();
      let stderr = '';
      const child = spawn(sshBinary(), args, { stdio: [theirEnd, theirEnd, 'pipe'], env: process.env });
      // The child has its own copies of the descriptor now.
      theirEnd.destroy();
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS);
      });
      child.once('error', (error) => {
        ourEnd.destroy(error);
      });
      ourEnd.once('close', () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      });
      resolve({ socket: ourEnd, stderr: () => stderr.trim() });
    });
    let ourEnd: net.Socket;
    server.listen(path, () => {
      ourEnd = net.connect({ path });
      ourEnd.once('error', (error) => {
        cleanup();
        reject(error);
      });
    });
  });
}
