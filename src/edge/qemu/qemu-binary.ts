/** The QEMU system emulator the launcher runs; overridable for unusual installs. */
export function qemuBinary(): string {
  return process.env.SPICE_WEBDAV_QEMU ?? 'qemu-system-x86_64';
}
