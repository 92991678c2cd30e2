// virt-viewer connection files (.vv) against QEMU's real SPICE server: password, delete-this-file, inline CA.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { killAll, runCli, until, type CliRun } from './support/cli-run';
import { makeTestCertificates, type TestCertificates } from './support/tls-certs';

jest.setTimeout(60_000);

describe('spice-webdav FILE.vv', () => {
  const runs: CliRun[] = [];
  let vm: RunningQemu | undefined;
  let certificates: TestCertificates | undefined;
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-vv-'))));
  afterEach(async () => {
    await killAll(runs);
    await vm?.stop();
    vm = undefined;
    certificates?.remove();
    certificates = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the password from the file and deletes it as delete-this-file=1 asks', async () => {
    vm = await startQemu({ spicePassword: 'from-the-file' });
    const file = join(dir, 'console.vv');
    writeFileSync(
      file,
      `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${vm.spice.port}\npassword=from-the-file\n` +
        'delete-this-file=1\ntitle=test VM\n',
    );
    const run = runCli([file, '--share-dir', dir]);
    runs.push(run);
    await until(run, 'webdav channel up');
    expect(existsSync(file)).toBe(false);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('keeps the file without delete-this-file, and exits 13 when its password is wrong', async () => {
    vm = await startQemu({ spicePassword: 'right' });
    const file = join(dir, 'wrong.vv');
    writeFileSync(file, `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${vm.spice.port}\npassword=wrong\n`);
    const run = runCli([file]);
    runs.push(run);
    expect((await run.exited).code).toBe(13);
    expect(existsSync(file)).toBe(true);
  });

  it('verifies TLS against the inline ca= and host-subject= of the file', async () => {
    certificates = makeTestCertificates('spice-test-host', false);
    vm = await startQemu({ tls: { x509Dir: certificates.x509Dir }, tlsOnlyChannels: true });
    const ca = readFileSync(certificates.caFile, 'utf8').replace(/\n/g, '\\n');
    const file = join(dir, 'tls.vv');
    writeFileSync(
      file,
      `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${vm.spice.port}\ntls-port=${vm.spice.tlsPort ?? 0}\n` +
        `ca=${ca}\nhost-subject=${certificates.serverSubject}\n`,
    );
    const run = runCli([file]);
    runs.push(run);
    await until(run, 'webdav channel up');
    expect(run.output()).toContain('(TLS)');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('never sends $SPICE_PASSWORD to the host of a .vv file without password=, and names the file', async () => {
    vm = await startQemu({ spicePassword: 'from-the-environment' });
    const file = join(dir, 'elsewhere.vv');
    writeFileSync(file, `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${vm.spice.port}\n`);
    const run = runCli([file], { SPICE_PASSWORD: 'from-the-environment' });
    runs.push(run);
    expect((await run.exited).code).toBe(13);
    expect(run.output()).toContain(`${file} has no password=`);
  });
});
