import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

import { displayText } from '../../wire/display-text';
import { SpiceConnectionError } from './errors';
import { certificateSubjectEntries, formatSubject, parseHostSubject, subjectsMatch } from './host-subject';
import { openSshTunnel, type SshHop } from './ssh-tunnel';
import { describeEndpoint, type SpiceEndpoint, type SpiceTlsOptions } from './target';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Raised from checkServerIdentity so the error handler can tell it from other TLS failures. */
class HostSubjectMismatch extends Error {}

/**
 * Open one socket to a SPICE endpoint: plain TCP, TLS or a unix socket. Resolves once the socket is ready for
 * the link message (for TLS: after the handshake and certificate checks). Every failure is a
 * SpiceConnectionError whose message says what to do.
 */
export function connectEndpoint(
  endpoint: SpiceEndpoint,
  tlsOptions: SpiceTlsOptions = {},
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<net.Socket> {
  if (endpoint.kind === 'tcp' && endpoint.via !== undefined) {
    return connectThroughTunnel(endpoint, endpoint.via, tlsOptions, timeoutMs);
  }
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    let tcpConnected = false;
    try {
      socket = openSocket(endpoint, tlsOptions);
    } catch (error) {
      reject(error);
      return;
    }
    const readyEvent = endpoint.kind === 'tcp' && endpoint.secure ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      fail(
        new SpiceConnectionError(
          'unreachable',
          `No answer from ${describeEndpoint(endpoint)} within ${Math.round(timeoutMs / 1000)} s: check the host, the port and any firewall in between.`,
        ),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener(readyEvent, onReady);
      socket.removeListener('connect', onTcpConnect);
    };
    const fail = (error: SpiceConnectionError) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error) => fail(classifyConnectError(error, endpoint, tcpConnected));
    const onTcpConnect = () => {
      tcpConnected = true;
    };
    const onReady = () => {
      cleanup();
      if (endpoint.kind === 'tcp') {
        socket.setNoDelay(true);
        // Keepalive lets a dead peer (host gone without a FIN) surface as an error instead of a silent hang.
        socket.setKeepAlive(true, 15_000);
      }
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('connect', onTcpConnect);
    socket.once(readyEvent, onReady);
  });
}

/**
 * Through `ssh HOST nc ADDRESS PORT` (a libvirt display on a remote host's loopback): the tunnel is our
 * socket, TLS runs over it when the endpoint is secure. The endpoint's host (the remote loopback address) is
 * what the certificate is checked against, as for a direct connection there.
 */
async function connectThroughTunnel(
  endpoint: Extract<SpiceEndpoint, { kind: 'tcp' }>,
  via: SshHop,
  tlsOptions: SpiceTlsOptions,
  timeoutMs: number,
): Promise<net.Socket> {
  const tunnel = await openSshTunnel(via, endpoint.host, endpoint.port).catch((error: Error) => {
    throw new SpiceConnectionError(
      'unreachable',
      `Cannot start ssh to ${via.host} (${error.message}): install the OpenSSH client, or set SPICE_WEBDAV_SSH.`,
      { cause: error },
    );
  });
  if (!endpoint.secure) return tunnel.socket;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...tlsConnectOptions(endpoint, tlsOptions), socket: tunnel.socket });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SpiceConnectionError(
          'unreachable',
          `No TLS answer from ${describeEndpoint(endpoint)} within ${Math.round(timeoutMs / 1000)} s${tunnel.stderr() === '' ? '' : ` (ssh: ${tunnel.stderr()})`}.`,
        ),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifyConnectError(error, endpoint, true));
    });
  });
}

/**
 * How much a plain socket may hold unsent before a write reports back-pressure (Node's default is 16 KiB, less
 * than one 64 KiB mux frame). A frame's credit comes back when the socket takes it below this mark, so with
 * 16 KiB nearly every frame waited for its own 'drain' behind a slow guest: one wake-up per frame. Whatever
 * the number of clients, this is all the socket holds beyond the credit window.
 */
export const SOCKET_WRITE_HIGH_WATER = 256 * 1024;

function openSocket(endpoint: SpiceEndpoint, tlsOptions: SpiceTlsOptions): net.Socket {
  // Node's net.Socket takes the stream options too; @types/node does not list them for connect().
  const stream = { writableHighWaterMark: SOCKET_WRITE_HIGH_WATER };
  if (endpoint.kind === 'unix') {
    const options: net.IpcNetConnectOpts & typeof stream = { path: endpoint.path, ...stream };
    return net.connect(options);
  }
  if (!endpoint.secure) {
    const options: net.TcpNetConnectOpts & typeof stream = {
      host: endpoint.host,
      port: endpoint.port,
      ...stream,
    };
    return net.connect(options);
  }
  return tls.connect(tlsConnectOptions(endpoint, tlsOptions));
}

function tlsConnectOptions(
  endpoint: Extract<SpiceEndpoint, { kind: 'tcp' }>,
  tlsOptions: SpiceTlsOptions,
): tls.ConnectionOptions {
  const expectedSubject =
    tlsOptions.hostSubject === undefined ? undefined : parseHostSubject(tlsOptions.hostSubject);
  return {
    host: endpoint.host,
    port: endpoint.port,
    // SNI must not be an IP address.
    servername: net.isIP(endpoint.host) === 0 ? endpoint.host : undefined,
    ca: tlsOptions.caFile === undefined ? undefined : readCaFile(tlsOptions.caFile),
    rejectUnauthorized: true,
    checkServerIdentity: (hostname, certificate) => {
      if (expectedSubject === undefined) return tls.checkServerIdentity(hostname, certificate);
      const actual = certificateSubjectEntries(
        certificate.subject as unknown as Record<string, string | string[]>,
      );
      if (subjectsMatch(expectedSubject, actual)) return undefined;
      return new HostSubjectMismatch(
        `the certificate subject is "${displayText(formatSubject(actual))}", not the expected host subject "${formatSubject(expectedSubject)}"`,
      );
    },
  };
}

function readCaFile(caFile: string): Buffer {
  try {
    return readFileSync(caFile);
  } catch (error) {
    throw new SpiceConnectionError(
      'tls',
      `Cannot read the CA file ${caFile} (${(error as Error).message}): pass the CA certificate (PEM) that signed the SPICE server certificate, e.g. the ca-cert.pem of QEMU's x509-dir.`,
      { cause: error },
    );
  }
}

/** Error codes of Node's TLS layer that mean "the certificate did not verify". */
const CERTIFICATE_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function classifyConnectError(
  error: Error,
  endpoint: SpiceEndpoint,
  tcpConnected: boolean,
): SpiceConnectionError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const where = describeEndpoint(endpoint);
  if (error instanceof HostSubjectMismatch) {
    return new SpiceConnectionError(
      'tls',
      `TLS verification of ${where} failed: ${error.message}. Pass the subject the server certificate really has (--host-subject), or fix the certificate.`,
      { cause: error },
    );
  }
  if (CERTIFICATE_ERROR_CODES.has(code)) {
    const fix =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'connect with the host name the certificate names, or pass the certificate subject with --host-subject (e.g. "C=XX,O=org,CN=host")'
        : 'pass the CA certificate that signed the server certificate with --ca-file (QEMU: x509-dir/ca-cert.pem)';
    return new SpiceConnectionError(
      'tls',
      // Node quotes the certificate's names here: the server chose them.
      `TLS verification of ${where} failed (${displayText(error.message)}): ${fix}.`,
      {
        cause: error,
      },
    );
  }
  if (code === 'ECONNREFUSED' || (endpoint.kind === 'unix' && code === 'ENOENT')) {
    const option =
      endpoint.kind === 'unix'
        ? `-spice unix=on,addr=${endpoint.path}`
        : `-spice ${endpoint.secure ? 'tls-port' : 'port'}=${endpoint.port}`;
    return new SpiceConnectionError(
      'refused',
      `Nothing listens on ${where}: is the VM running with ${option}?`,
      {
        cause: error,
      },
    );
  }
  if (endpoint.kind === 'unix' && (code === 'EACCES' || code === 'EPERM')) {
    return new SpiceConnectionError(
      'unreachable',
      `Your user may not open ${where} (${code}): run spice-webdav as a user who may (libvirt's sockets ` +
        'belong to root or the libvirt-qemu group), or have QEMU listen on a socket you own.',
      { cause: error },
    );
  }
  if (endpoint.kind === 'tcp' && endpoint.secure && tcpConnected) {
    // OpenSSL's text spans lines ("...wrong version number:../deps/...:\n"): one line of it is enough.
    const reason = displayText(error.message.split('\n')[0] ?? error.message).replace(/:+$/, '');
    return new SpiceConnectionError(
      'tls',
      `The TLS handshake with ${where} failed (${reason}): is ${endpoint.port} really QEMU's SPICE tls-port?`,
      { cause: error },
    );
  }
  return new SpiceConnectionError(
    'unreachable',
    `Cannot reach ${where} (${displayText(error.message)}): check the host name, the network and any firewall.`,
    { cause: error },
  );
}
