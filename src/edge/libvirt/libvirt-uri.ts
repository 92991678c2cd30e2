/**
 * What spice-webdav needs to know about a libvirt connection URI: whether the hypervisor is on another host
 * (then a display on "0.0.0.0" is reached by that host's name, and a display on its loopback only through an
 * ssh tunnel), and how to ssh there. Follows libvirt's URI syntax: driver[+transport]://[user@][host][:port]/path.
 */
export interface LibvirtUri {
  readonly remote: boolean;
  /** 'ssh', 'libssh', 'libssh2', 'tls', 'tcp', 'unix', 'ext' or undefined (the driver's default). */
  readonly transport: string | undefined;
  readonly host: string | undefined;
  readonly user: string | undefined;
  readonly port: number | undefined;
}

const LOCAL = { remote: false, transport: undefined, host: undefined, user: undefined, port: undefined };

export function parseLibvirtUri(uri: string | undefined): LibvirtUri {
  if (uri === undefined) return LOCAL;
  const match = /^([a-z0-9]+)(?:\+([a-z0-9]+))?:\/\/([^/?#]*)/i.exec(uri);
  if (match === null) return LOCAL; // e.g. "test:///default" has an empty authority; odd forms stay local
  const transport = match[2]?.toLowerCase();
  const authority = match[3];
  if (authority === '') return { ...LOCAL, transport };
  const at = authority.lastIndexOf('@');
  const user = at < 0 ? undefined : decodeURIComponent(authority.slice(0, at));
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  const plain = /^([^:]*)(?::(\d+))?$/.exec(hostPort);
  const host = bracketed?.[1] ?? plain?.[1] ?? hostPort;
  const portText = bracketed?.[2] ?? plain?.[2];
  const isLocalHost = host === '' || (transport === 'unix' && host === 'localhost');
  return {
    remote: !isLocalHost,
    transport,
    host: host === '' ? undefined : host,
    user,
    port: portText === undefined ? undefined : Number(portText),
  };
}

/** Transports whose connection is an ssh login, so the same login can carry a tunnel to the display. */
export function isSshTransport(uri: LibvirtUri): boolean {
  return uri.transport === 'ssh' || uri.transport === 'libssh' || uri.transport === 'libssh2';
}
