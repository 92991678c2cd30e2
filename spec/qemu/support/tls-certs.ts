// Makes a throw-away CA and a SPICE server certificate with openssl, laid out as QEMU's x509-dir expects
// (ca-cert.pem, server-cert.pem, server-key.pem). Call remove() in afterEach/afterAll.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** Pass to startQemu({ tls: { x509Dir } }). */
  x509Dir: string;
  /** The CA the client must trust (--ca-file). */
  caFile: string;
  /** The server certificate subject, in SPICE host-subject form. */
  serverSubject: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * @param serverName the server certificate's CN
 * @param withSan whether the certificate also names serverName (and 127.0.0.1) as subjectAltName. Many real
 *   SPICE certificates have none, which is what the host-subject check is for.
 */
export function makeTestCertificates(serverName = 'localhost', withSan = true): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-x509-'));
  try {
    const serverSubject = `C=XX,L=Testcity,O=spice-webdav tests,CN=${serverName}`;
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=spice-webdav test CA',
        '-keyout',
        'ca-key.pem',
        '-out',
        'ca-cert.pem',
      ],
      dir,
    );
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/C=XX/L=Testcity/O=spice-webdav tests/CN=${serverName}`,
        '-keyout',
        'server-key.pem',
        '-out',
        'server.csr',
      ],
      dir,
    );
    const extensions = withSan
      ? `subjectAltName=DNS:${serverName},IP:127.0.0.1\n`
      : 'basicConstraints=CA:FALSE\n';
    writeFileSync(join(dir, 'server.ext'), extensions);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca-cert.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        'server.ext',
        '-out',
        'server-cert.pem',
      ],
      dir,
    );
    return {
      x509Dir: dir,
      caFile: join(dir, 'ca-cert.pem'),
      serverSubject,
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
