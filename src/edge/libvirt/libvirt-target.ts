/**
 * A VM managed by libvirt, named the way virt-viewer takes it: `domain` is a name, an id or a UUID, `uri` a
 * libvirt connection URI (`qemu:///system`, `qemu+ssh://user@host/system`; default: virsh's own default,
 * i.e. $LIBVIRT_DEFAULT_URI or libvirt's choice). The SPICE display (address, ports, password) is asked from
 * libvirt at every (re)connection, so an `autoport` display that moves at each start is followed.
 *
 * - `wait`: the domain may not exist or run yet; wait for it to start (libvirt lifecycle events).
 * - With `reconnect` in the share options, the domain is followed across shutdown + start, and sharing ends
 *   (the Observable completes after a `domain-undefined` event) when the domain is undefined.
 * - `virsh`: the virsh binary to run (default `$SPICE_WEBDAV_VIRSH` or `virsh` from PATH).
 */
export interface LibvirtTarget {
  readonly kind: 'libvirt';
  readonly uri?: string;
  readonly domain: string;
  readonly wait?: boolean;
  readonly virsh?: string;
}

/** How a libvirt target is shown in messages: `DOMAIN` or `DOMAIN on URI`. */
export function describeLibvirtTarget(target: Pick<LibvirtTarget, 'uri' | 'domain'>): string {
  return target.uri === undefined
    ? `domain "${target.domain}"`
    : `domain "${target.domain}" on ${target.uri}`;
}
