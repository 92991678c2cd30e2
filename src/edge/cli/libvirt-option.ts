import type { LibvirtTarget } from '../libvirt/libvirt-target';
import { UsageError } from './usage-error';

interface LibvirtOptions {
  readonly connect: string | undefined;
  readonly wait: boolean;
  /** The positional target: the DOMAIN when -c is given. */
  readonly domain: string | undefined;
  readonly direct: string | undefined;
  readonly tlsPort: number | undefined;
}

/**
 * `-c URI DOMAIN [--wait]` as virt-viewer takes it, or undefined when -c is not given (then the target is a
 * SPICE address). The domain is passed to virsh after `--`, so a name that starts with "-" is still a name.
 */
export function libvirtTargetFromOptions(options: LibvirtOptions): LibvirtTarget | undefined {
  if (options.connect === undefined) {
    if (options.wait) throw new UsageError('--wait applies to a libvirt domain: give -c URI DOMAIN.');
    return undefined;
  }
  const uri = options.connect.trim();
  if (uri === '') throw new UsageError('-c needs a libvirt URI, e.g. -c qemu:///system.');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new UsageError(
      `"${options.connect}" is not a libvirt URI: write e.g. qemu:///system or qemu+ssh://user@host/system.`,
    );
  }
  if (options.direct !== undefined) {
    throw new UsageError(
      '-c URI DOMAIN names a libvirt domain; --direct HOST:PORT a SPICE address: give one of them.',
    );
  }
  if (options.tlsPort !== undefined) {
    throw new UsageError('--tls-port does not go with -c: libvirt says which TLS port the domain has.');
  }
  const domain = options.domain?.trim() ?? '';
  if (domain === '')
    throw new UsageError('-c URI needs a DOMAIN: a name, id or UUID from `virsh list --all`.');
  return { kind: 'libvirt', uri, domain, wait: options.wait };
}
