// Every socket a process listens on, read from /proc (Linux): its TCP listeners (IPv4 and IPv6) and its unix
// socket listeners. Used to show what another local user could connect to.

import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSockets {
  /** "address:port" for IPv4 (e.g. "127.0.0.1:5900"), "[hex address]:port" for IPv6. */
  readonly tcp: string[];
  /** Paths of bound, listening unix sockets (abstract ones start with "@"). */
  readonly unix: string[];
}

/** Linux's SO_ACCEPTCON flag in /proc/net/unix: the socket listens. */
const UNIX_ACCEPTING = 0x10000;
const TCP_LISTEN = '0A';

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed since we listed it
    }
    const match = /^socket:\[(\d+)\]$/.exec(link);
    if (match !== null) inodes.add(match[1]);
  }
  return inodes;
}

function tableRows(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length > 1);
}

function ipv4(hex: string): string {
  // Little-endian on x86 and arm: "0100007F" is 127.0.0.1.
  const bytes = Buffer.from(hex, 'hex').reverse();
  return [...bytes].join('.');
}

/**
 * How many TCP connections the process holds whose local port is `port` (any state but LISTEN). A SPICE client
 * that closed its socket stays counted until spice-server has noticed and closed its end.
 */
export function connectionsOnPort(pid: number, port: number): number {
  if (!existsSync(`/proc/${pid}/fd`)) return 0; // the process is gone, and its sockets with it
  const inodes = socketInodes(pid);
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const fields of tableRows(file)) {
      const [, local, , state, , , , , , inode] = fields;
      if (state === TCP_LISTEN || !inodes.has(inode)) continue;
      if (parseInt(local.split(':').pop() ?? '', 16) === port) count++;
    }
  }
  return count;
}

export function listeningSockets(pid: number): ListeningSockets {
  const inodes = socketInodes(pid);
  const tcp: string[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    for (const fields of tableRows(file)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const [, local, , state, , , , , , inode] = fields;
      if (state !== TCP_LISTEN || !inodes.has(inode)) continue;
      const [address, port] = local.split(':');
      tcp.push(`${v6 ? `[${address}]` : ipv4(address)}:${parseInt(port, 16)}`);
    }
  }
  const unix: string[] = [];
  for (const fields of tableRows('/proc/net/unix')) {
    // Num RefCount Protocol Flags Type St Inode Path
    const [, , , flags, , , inode, path] = fields;
    if (path === undefined || !inodes.has(inode)) continue;
    if ((parseInt(flags, 16) & UNIX_ACCEPTING) !== 0) unix.push(path);
  }
  return { tcp, unix };
}
