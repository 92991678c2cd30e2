/**
 * Every way a SPICE connection can fail that a user can act on, each with its own process exit code.
 * The CLI prints `message` and exits with `exitCode`; library users switch on `reason`.
 */
export type SpiceFailureReason =
  | 'refused'
  | 'unreachable'
  | 'tls'
  | 'auth'
  | 'no-webdav-port'
  | 'kicked'
  | 'server-gone'
  | 'protocol'
  // A libvirt target (src/edge/libvirt): libvirt itself not reachable or refusing us, no such (running)
  // domain, a domain without a SPICE display we can reach.
  | 'libvirt'
  | 'no-domain'
  | 'no-spice-display';

/**
 * Exit codes, one per reason. 1 stays "unexpected failure", 2 is yargs' usage error and 70 is used by
 * bin/spice-webdav for "not built", so the SPICE failures live in 10..17 and the libvirt ones in 18..20.
 */
export const SPICE_EXIT_CODES: Readonly<Record<SpiceFailureReason, number>> = {
  refused: 10,
  unreachable: 11,
  tls: 12,
  auth: 13,
  'no-webdav-port': 14,
  kicked: 15,
  'server-gone': 16,
  protocol: 17,
  libvirt: 18,
  'no-domain': 19,
  'no-spice-display': 20,
};

export class SpiceConnectionError extends Error {
  readonly exitCode: number;

  constructor(
    readonly reason: SpiceFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpiceConnectionError';
    this.exitCode = SPICE_EXIT_CODES[reason];
  }
}

export function isSpiceConnectionError(error: unknown): error is SpiceConnectionError {
  return error instanceof SpiceConnectionError;
}

/** The hint shared by every "this VM has no webdav port" error. */
export const NO_WEBDAV_PORT_HINT =
  'add `-chardev spiceport,name=org.spice-space.webdav.0,id=webdav0` and ' +
  '`-device virtserialport,chardev=webdav0,name=org.spice-space.webdav.0` (with a virtio-serial bus) to QEMU, ' +
  "or in libvirt a <channel type='spiceport'> with <source channel='org.spice-space.webdav.0'/> and " +
  "<target type='virtio' name='org.spice-space.webdav.0'/>";

export function noWebdavPortError(detail: string): SpiceConnectionError {
  return new SpiceConnectionError(
    'no-webdav-port',
    `This VM has no webdav port (${detail}): ${NO_WEBDAV_PORT_HINT}.`,
  );
}
