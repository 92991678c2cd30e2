import { isIP } from 'node:net';

import { SpiceConnectionError } from '../spice/errors';
import type { SpiceTarget } from '../spice/target';
import { WEBDAV_CHANNEL_XML, type DomainDescription, type SpiceGraphics } from './domain-xml';
import { isSshTransport, type LibvirtUri } from './libvirt-uri';

/**
 * How to reach a running domain's SPICE display from here. When the display listens on the remote host's
 * loopback, the target has `via`: the connection goes through `ssh [user@]host nc ADDRESS PORT`
 * (spice/ssh-tunnel.ts).
 */
export interface DomainDisplay {
  readonly target: SpiceTarget;
  readonly password: string | undefined;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/**
 * Pure: the SPICE target of a running domain described by `dumpxml --security-info`, for a connection made
 * through `uri`. Throws a SpiceConnectionError that says what to change when there is no usable display or
 * no webdav channel.
 */
export function domainDisplay(
  domain: DomainDescription,
  uri: LibvirtUri,
  uriText: string | undefined,
): DomainDisplay {
  const spice = domain.spice;
  if (spice === undefined) {
    throw new SpiceConnectionError(
      'no-spice-display',
      `Domain "${domain.name}" has no SPICE display: add <graphics type='spice' autoport='yes' listen='127.0.0.1'/> to its <devices> (virsh edit ${domain.name}) and restart it.`,
    );
  }
  if (!domain.hasWebdavChannel) {
    throw new SpiceConnectionError(
      'no-webdav-port',
      `Domain "${domain.name}" has no webdav channel: add this to its <devices> (virsh edit ${domain.name}), then shut it down and start it again:\n${WEBDAV_CHANNEL_XML}`,
    );
  }
  const listen = spice.listens[0];
  if (listen?.type === 'socket') {
    if (uri.remote)
      throw unreachable(domain, `it listens on a unix socket on ${uri.host ?? 'the remote host'}`);
    if (listen.socket === undefined) throw unreachable(domain, 'libvirt reports no socket path');
    return { target: { kind: 'unix', path: listen.socket }, password: spice.password };
  }
  if (listen?.type === 'none')
    throw unreachable(domain, "its display listens nowhere (<listen type='none'/>)");
  if (spice.port === undefined && spice.tlsPort === undefined) {
    throw unreachable(domain, 'libvirt reports no SPICE port; is the domain running?');
  }
  const address = listenAddress(spice);
  const ports = {
    ...(spice.port === undefined ? {} : { port: spice.port }),
    ...(spice.tlsPort === undefined ? {} : { tlsPort: spice.tlsPort }),
  };
  if (!uri.remote) {
    const host = WILDCARDS.has(address) ? (address === '::' ? '::1' : '127.0.0.1') : address;
    return { target: { kind: 'tcp', host, ...ports }, password: spice.password };
  }
  const remoteHost = uri.host ?? 'localhost';
  if (WILDCARDS.has(address)) {
    return {
      target: { kind: 'tcp', host: remoteHost, ...ports },
      password: spice.password,
    };
  }
  if (!isLoopback(address)) {
    return { target: { kind: 'tcp', host: address, ...ports }, password: spice.password };
  }
  if (!isSshTransport(uri)) {
    throw unreachable(
      domain,
      `its display listens on ${address} of ${remoteHost} and ${uriText ?? 'the URI'} is not an ssh URI: use qemu+ssh://${remoteHost}/system (spice-webdav then tunnels through ssh) or make the display listen on an address this host can reach`,
    );
  }
  const via = {
    host: remoteHost,
    ...(uri.user === undefined ? {} : { user: uri.user }),
    ...(uri.port === undefined ? {} : { port: uri.port }),
  };
  return { target: { kind: 'tcp', host: address, ...ports, via }, password: spice.password };
}

/** The address the display listens on: the first <listen>'s, else the listen attribute, else all (libvirt's default is qemu.conf's spice_listen, 127.0.0.1 out of the box). */
function listenAddress(spice: SpiceGraphics): string {
  const first = spice.listens[0];
  if (
    first !== undefined &&
    (first.type === 'address' || first.type === 'network') &&
    first.address !== undefined
  ) {
    return first.address;
  }
  return spice.listenAttribute ?? '127.0.0.1';
}

function unreachable(domain: DomainDescription, why: string): SpiceConnectionError {
  return new SpiceConnectionError(
    'no-spice-display',
    `Cannot reach the SPICE display of domain "${domain.name}": ${why}.`,
  );
}
