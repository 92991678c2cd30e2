// A transient libvirt domain booting the test guest (guest/build.sh) with a SPICE display, the webdav
// channel and the guest command channel (the same virtio ports, in the same order, as qemu-args.ts gives
// QEMU: the guest's init relies on it). Created and destroyed with virsh; names are unique per run.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GuestCommandChannel } from '../../../src/edge/qemu/guest-command-channel';
import { COMMAND_PORT_NAME, GUEST_READY_MARKER, WEBDAV_PORT_NAME } from '../../../src/edge/qemu/launcher';
import type { GuestImage } from '../../../src/edge/qemu/qemu-types';
import { SYSTEM_URI } from './libvirt-daemons';

const BOOT_TIMEOUT_MS = Number(process.env.SPICE_WEBDAV_BOOT_TIMEOUT_MS ?? 120_000);

export function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', SYSTEM_URI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface DomainDevices {
  /** Default true. */
  readonly spice?: boolean;
  /** Default true. */
  readonly webdav?: boolean;
  /** The guest's kernel and initramfs; without it the domain idles in firmware. */
  readonly guest?: GuestImage;
}

export class TestDomain {
  readonly name = `sw-lv-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly password = randomBytes(9).toString('base64url');
  readonly dir = mkdtempSync(join(tmpdir(), 'spice-webdav-libvirt-'));
  readonly commandSocket = join(this.dir, 'cmd.sock');
  readonly serialLog = join(this.dir, 'serial.log');
  private readonly xmlFile = join(this.dir, 'domain.xml');

  constructor(private readonly devices: DomainDevices) {
    writeFileSync(this.xmlFile, this.xml(), { mode: 0o600 });
  }

  private xml(): string {
    const guest = this.devices.guest;
    const os =
      guest === undefined
        ? ''
        : `<kernel>${guest.kernel}</kernel><initrd>${guest.initrd}</initrd>
      <cmdline>console=ttyS0 panic=-1 quiet loglevel=3</cmdline>`;
    const spice =
      this.devices.spice === false
        ? ''
        : `<graphics type='spice' autoport='yes' listen='127.0.0.1' passwd='${this.password}'/>`;
    const webdav =
      this.devices.webdav === false
        ? ''
        : `<channel type='spiceport'><source channel='${WEBDAV_PORT_NAME}'/>
      <target type='virtio' name='${WEBDAV_PORT_NAME}'/></channel>`;
    const command =
      guest === undefined
        ? ''
        : `<channel type='unix'><source mode='bind' path='${this.commandSocket}'/>
      <target type='virtio' name='${COMMAND_PORT_NAME}'/></channel>`;
    return `<domain type='qemu'>
  <name>${this.name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>${os}</os>
  <on_reboot>restart</on_reboot>
  <devices>
    ${spice}
    ${webdav}
    ${command}
    <serial type='file'><source path='${this.serialLog}'/></serial>
  </devices>
</domain>
`;
  }

  create(): void {
    rmSync(this.serialLog, { force: true });
    virsh('create', this.xmlFile);
  }

  destroy(): void {
    spawnSync('virsh', ['-c', SYSTEM_URI, 'destroy', this.name], { stdio: 'ignore' });
  }

  uuid(): string {
    return virsh('domuuid', this.name).trim();
  }

  id(): string {
    return virsh('domid', this.name).trim();
  }

  /** Waits (bounded) for the guest's ready line on the serial console, then opens the command channel. */
  async guestReady(): Promise<GuestCommandChannel> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (!(
      existsSync(this.serialLog) && readFileSync(this.serialLog, 'utf8').includes(GUEST_READY_MARKER)
    )) {
      if (Date.now() > deadline) {
        throw new Error(
          `the guest of ${this.name} did not boot in ${BOOT_TIMEOUT_MS} ms; serial log:\n${this.serialTail()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return GuestCommandChannel.open(this.commandSocket);
  }

  serialTail(): string {
    return existsSync(this.serialLog)
      ? readFileSync(this.serialLog, 'utf8').split('\n').slice(-15).join('\n')
      : '';
  }

  remove(): void {
    this.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
