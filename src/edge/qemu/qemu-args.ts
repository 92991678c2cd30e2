import type { GuestImage } from './qemu-types';

export const WEBDAV_PORT_NAME = 'org.spice-space.webdav.0';
export const COMMAND_PORT_NAME = 'org.spiceweb.test.cmd';
/** The guest's socat relay (0.0.0.0:9844 → spice-webdavd on 127.0.0.1:9843). */
export const GUEST_RELAY_PORT = 9844;
const PASSWORD_SECRET_ID = 'spicepw0';

export type SpiceListen =
  | {
      kind: 'tcp';
      port: number;
      tls?: { port: number; x509Dir: string; onlyTls: boolean; plaintextChannels: readonly string[] };
    }
  | { kind: 'unix'; path: string };

/** Everything startQemu decided before launching: paths, ports, devices. */
export interface QemuLaunchPlan {
  accel: 'tcg' | 'kvm';
  memoryMiB: number;
  serialLogPath: string;
  spice: SpiceListen;
  /** A 0600 file holding the SPICE password; absent = no ticketing. */
  passwordFile?: string;
  webdavPort: boolean;
  /** webdavForwardPort: the host port forwarded to the guest relay; absent = no forward (the default). */
  guest?: { image: GuestImage; commandSocketPath: string; webdavForwardPort?: number };
}

function spiceArgument(plan: QemuLaunchPlan): string {
  const parts: string[] =
    plan.spice.kind === 'unix'
      ? ['unix=on', `addr=${plan.spice.path}`]
      : [`port=${plan.spice.port}`, 'addr=127.0.0.1'];
  if (plan.spice.kind === 'tcp' && plan.spice.tls !== undefined) {
    parts.push(`tls-port=${plan.spice.tls.port}`, `x509-dir=${plan.spice.tls.x509Dir}`);
    if (plan.spice.tls.onlyTls) parts.push('tls-channel=default');
    for (const channel of plan.spice.tls.plaintextChannels) parts.push(`plaintext-channel=${channel}`);
  }
  // The password goes through a secret object: `password=` is deprecated and visible in ps.
  parts.push(
    plan.passwordFile === undefined ? 'disable-ticketing=on' : `password-secret=${PASSWORD_SECRET_ID}`,
  );
  return parts.join(',');
}

function guestArguments(guest: NonNullable<QemuLaunchPlan['guest']>): string[] {
  return [
    '-kernel',
    guest.image.kernel,
    '-initrd',
    guest.image.initrd,
    '-append',
    'console=ttyS0 panic=-1 quiet loglevel=3',
    '-chardev',
    `socket,id=cmd0,path=${guest.commandSocketPath},server=on,wait=off`,
    '-device',
    `virtserialport,bus=vser0.0,chardev=cmd0,name=${COMMAND_PORT_NAME}`,
    // restrict=on: the guest reaches nothing outside QEMU's own user-mode network. The relay forward listens on
    // host loopback for every local user, so it is there only when asked for.
    '-netdev',
    guest.webdavForwardPort === undefined
      ? 'user,id=net0,restrict=on'
      : `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${guest.webdavForwardPort}-:${GUEST_RELAY_PORT}`,
    '-device',
    'virtio-net-pci,netdev=net0',
  ];
}

/** The QEMU command line for a plan (pure; the order of the virtio ports matters to the guest's init). */
export function qemuArguments(plan: QemuLaunchPlan): string[] {
  const args = [
    '-name',
    'spice-webdav-test',
    '-nodefaults',
    '-no-user-config',
    '-machine',
    'pc',
    '-accel',
    plan.accel,
    '-m',
    String(plan.memoryMiB),
    '-smp',
    plan.guest === undefined ? '1' : '2',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    `file:${plan.serialLogPath}`,
  ];
  if (plan.passwordFile !== undefined) {
    args.push('-object', `secret,id=${PASSWORD_SECRET_ID},file=${plan.passwordFile},format=raw`);
  }
  args.push('-spice', spiceArgument(plan));
  if (plan.webdavPort || plan.guest !== undefined) {
    args.push(
      '-device',
      'virtio-serial-pci,id=vser0',
      '-chardev',
      `spiceport,id=webdav0,name=${WEBDAV_PORT_NAME}`,
      '-device',
      `virtserialport,bus=vser0.0,chardev=webdav0,name=${WEBDAV_PORT_NAME}`,
    );
  }
  if (plan.guest !== undefined) args.push(...guestArguments(plan.guest));
  return args;
}
