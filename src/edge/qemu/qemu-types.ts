/** How to start a QEMU for the specs, benchmarks and the demo (see startQemu). */
export interface QemuOptions {
  /** The test guest (buildGuest). null/undefined: no OS, QEMU idles in firmware (enough for link tests). */
  guest?: GuestImage | null;
  /** Set through a 0600 secret file (-object secret + password-secret=), never on argv. Absent: no ticketing. */
  spicePassword?: string;
  /** Adds tls-port=<free port>,x509-dir=... (the dir holds ca-cert.pem, server-cert.pem, server-key.pem). */
  tls?: { x509Dir: string };
  /** With tls: tls-channel=default, so plain links get NEED_SECURED. */
  tlsOnlyChannels?: boolean;
  /** With tls: plaintext-channel=NAME for each, so TLS links of these channels get NEED_UNSECURED. */
  plaintextChannels?: readonly string[];
  /** Default true: a virtio-serial port org.spice-space.webdav.0 backed by a spiceport chardev. */
  webdavPort?: boolean;
  /** SPICE on a unix socket (<tmpdir>/spice.sock) instead of TCP. */
  unixSocket?: boolean;
  /** Extra environment for QEMU (e.g. SPICE_DEBUG_ALLOW_MC). */
  env?: Record<string, string>;
  /**
   * Guest only, default false: forward a host 127.0.0.1 port (webdavForwardPort) to the guest's relay on 9844
   * (→ spice-webdavd, → the shared folder). Every local user can connect to that port, so only specs that must
   * reach spice-webdavd from the host (litmus) turn it on; the demo never does.
   */
  forwardGuestRelay?: boolean;
  /** Default 512 with a guest, 64 without. */
  memoryMiB?: number;
}

/** The kernel and initramfs that guest/build.sh produces. */
export interface GuestImage {
  kernel: string;
  initrd: string;
}

export interface GuestExecResult {
  /** The command's exit status in the guest (137 when the guest-side timeout killed it). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface GuestExecOptions {
  /** Default 60 s. The guest kills the command at this point, and the promise rejects. */
  timeoutMs?: number;
}

export interface QemuExit {
  code: number | null;
  signal: string | null;
}

export interface SpiceEndpointInfo {
  host: string;
  /** The plain TCP port; 0 with unixSocket. */
  port: number;
  tlsPort?: number;
  unixPath?: string;
}

export interface RunningQemu {
  readonly pid: number;
  readonly spice: SpiceEndpointInfo;
  /** Host 127.0.0.1 port forwarded to the guest relay on 9844 (→ spice-webdavd on 9843); forwardGuestRelay only. */
  readonly webdavForwardPort?: number;
  /** Runs a shell command in the guest (one at a time). Guest only: rejects without one. */
  guestExec(command: string, opts?: GuestExecOptions): Promise<GuestExecResult>;
  /** Serial console output so far (for error messages). */
  readonly serialLog: () => string;
  /** SIGTERM, then SIGKILL after ~2 s; idempotent; removes the temp dir. */
  stop(): Promise<void>;
  readonly exited: Promise<QemuExit>;
}

export type QemuAvailability = { ok: true } | { ok: false; missing: string[]; hint: string };
