import { randomBytes } from 'node:crypto';
import type { GuestImage, QemuOptions } from '../qemu/launcher';

/** How the demo starts its VM, and the password its own client connects with. */
export interface DemoVm {
  readonly qemu: QemuOptions;
  readonly spicePassword: string;
}

/**
 * The demo's VM is reachable only by the user who started it:
 * - no forward from a host port to the guest's relay (forwardGuestRelay stays off): the demo drives the guest
 *   through its command channel, a unix socket in the launcher's 0700 temp dir, so no other local user can
 *   reach spice-webdavd and, through it, the shared folder;
 * - a random SPICE password, given to QEMU through a 0600 secret file and to the demo's client in memory,
 *   never on a command line: another local user cannot take the SPICE session (and with it the share).
 */
export function demoVm(guest: GuestImage): DemoVm {
  // 144 bits, 24 characters: well inside SPICE's 60-byte ticket limit.
  const spicePassword = randomBytes(18).toString('base64url');
  return { qemu: { guest, spicePassword }, spicePassword };
}
