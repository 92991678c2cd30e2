/**
 * QEMU for specs, benchmarks and the demo: start a VM with a SPICE server (and optionally the tiny test
 * guest running spice-webdavd), run commands in the guest, stop it without leaving anything behind.
 * See docs/testing.md.
 */
export { startQemu, GUEST_READY_MARKER } from './start-qemu';
export { buildGuest } from './guest-image';
export { checkQemuAvailable } from './qemu-available';
export { freeLoopbackPort } from './free-port';
export { WEBDAV_PORT_NAME, COMMAND_PORT_NAME, GUEST_RELAY_PORT } from './qemu-args';
export type {
  GuestExecOptions,
  GuestExecResult,
  GuestImage,
  QemuAvailability,
  QemuExit,
  QemuOptions,
  RunningQemu,
  SpiceEndpointInfo,
} from './qemu-types';
