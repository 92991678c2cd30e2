import type { ShareFolderOptions } from './sharing-types';

/**
 * What is wrong with the `target` an embedding program gave shareFolder, or undefined when it can be tried.
 * Caught before anything starts, as a TypeError (a mistake in the program, not a connection failure to
 * report to its user): a port out of range ended in Node's own RangeError from inside the socket, an unknown
 * kind was taken for TCP, and no target at all threw synchronously.
 */
export function targetProblem(target: ShareFolderOptions['target'] | undefined): string | undefined {
  if (target === undefined || target === null || typeof target !== 'object')
    return 'shareFolder: options.target is required ({ kind: "tcp", host, port }, "unix" or "libvirt").';
  switch (target.kind) {
    case 'tcp': {
      if (typeof target.host !== 'string' || target.host === '')
        return 'shareFolder: a tcp target needs a host name or address.';
      if (target.port === undefined && target.tlsPort === undefined)
        return 'shareFolder: a tcp target needs a port, a tlsPort or both.';
      for (const [name, port] of [
        ['port', target.port],
        ['tlsPort', target.tlsPort],
      ] as const)
        if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
          return `shareFolder: target.${name} ${String(port)} is not a port number (1-65535).`;
      return undefined;
    }
    case 'unix':
      return typeof target.path === 'string' && target.path !== ''
        ? undefined
        : 'shareFolder: a unix target needs the socket path.';
    case 'libvirt':
      return undefined; // its domain and URI are checked by libvirt, with errors of their own
    default:
      return `shareFolder: unknown target kind ${JSON.stringify((target as { kind?: unknown }).kind)} (tcp, unix or libvirt).`;
  }
}
