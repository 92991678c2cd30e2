// The errors the wire layer can raise. Decoders throw only WireError on bad input, so callers can tell a
// broken peer from a bug. LinkError carries a refusal from the SPICE server, worded for the user.

import { LinkErrorCode, MAX_PASSWORD_BYTES } from './constants';

/** Why a decoder rejected its input. */
export type WireErrorKind =
  /** The input ended before the structure it announces. */
  | 'truncated'
  /** The bytes contradict the format (bad magic, offsets out of range, corrupt compression). */
  | 'malformed'
  /** A declared size exceeds what we are willing to buffer. */
  | 'too-large'
  /** Well-formed, but a variant this implementation does not handle. */
  | 'unsupported';

export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly kind: WireErrorKind,
    message: string,
  ) {
    super(message);
  }
}

type LinkErrorName = keyof typeof LinkErrorCode;

const linkErrorNames: ReadonlyMap<number, LinkErrorName> = new Map(
  Object.entries(LinkErrorCode).map(([name, code]) => [code, name as LinkErrorName]),
);

// What each refusal means for the user and what to do about it.
const linkErrorAdvice: Readonly<Record<LinkErrorName, string>> = {
  OK: 'the SPICE server reported success where an error was expected; this is a bug in spice-webdav, please report it',
  ERROR:
    'the SPICE server refused the connection with a generic error; check the server log (QEMU stderr or the libvirt domain log)',
  INVALID_MAGIC:
    'the SPICE server did not recognise the handshake: check that the host and port point at a SPICE server, not VNC or another service',
  INVALID_DATA:
    'the SPICE server rejected the handshake as invalid: the server may require SASL authentication, which spice-webdav does not support; otherwise please report this with the server version',
  VERSION_MISMATCH:
    'the SPICE server speaks an incompatible protocol version, or it requires SASL, which spice-webdav does not support: disable SASL for this VM (sasl=off) or use a password instead',
  NEED_SECURED:
    'the server requires TLS for this channel: connect to its TLS port (--tls-port or tls-port= in the URI) with --ca-file',
  NEED_UNSECURED:
    'the server does not allow TLS for this channel: connect to its plain port (--port or port= in the URI) instead of the TLS port',
  PERMISSION_DENIED:
    'the SPICE server refused the password: it is wrong or has expired; check it (the CLI reads --password-file or SPICE_PASSWORD; the library, the `password` option)',
  BAD_CONNECTION_ID:
    'the SPICE server no longer knows this session (another client probably took over the VM, or the main channel closed); reconnect',
  CHANNEL_NOT_AVAILABLE:
    'the SPICE channel disappeared during the handshake (the VM removed the device or is shutting down); check the VM and reconnect',
};

/** The server refused a link (SpiceLinkReply.error or the link result was not OK). */
export class LinkError extends Error {
  override readonly name: string = 'LinkError';

  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The LinkError for a SpiceLinkErr code, with a message that says what to do. */
export function linkErrorFor(code: number): LinkError {
  const name = linkErrorNames.get(code);
  if (name === undefined) {
    return new LinkError(
      code,
      'UNKNOWN',
      `the SPICE server refused the connection with unknown error code ${code}; check the server log and that the server is a SPICE server`,
    );
  }
  return new LinkError(code, name, linkErrorAdvice[name]);
}

/** The server allows only SASL authentication, which spice-webdav does not implement. */
export class SaslRequiredError extends LinkError {
  override readonly name = 'SaslRequiredError';

  constructor() {
    super(
      LinkErrorCode.VERSION_MISMATCH,
      'SASL_REQUIRED',
      'the SPICE server only offers SASL authentication, which spice-webdav does not support: disable SASL for this VM (sasl=off in QEMU -spice, or the libvirt/qemu.conf spice_sasl setting) and use a password',
    );
  }
}

/** The password does not fit in a SPICE ticket. */
export class PasswordTooLongError extends Error {
  override readonly name = 'PasswordTooLongError';

  constructor(readonly byteLength: number) {
    super(
      `the password is ${byteLength} bytes long in UTF-8, but SPICE passwords are at most ${MAX_PASSWORD_BYTES} bytes: set a shorter password on the VM and in --password-file / SPICE_PASSWORD`,
    );
  }
}
