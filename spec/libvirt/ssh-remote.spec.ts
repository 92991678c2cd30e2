// A remote URI for real: qemu+ssh://root@127.0.0.1:PORT/system through an sshd started for this spec (its own
// config, host key and user key in a temp dir; killed by PID in afterAll). The domain's display listens on
// 127.0.0.1 of the "remote" host, so virsh goes over ssh and SPICE through `ssh ... nc 127.0.0.1 PORT`.
// A firmware-only domain is enough: the webdav channel links without a guest OS (CPU is scarce).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { freeLoopbackPort } from '../../src/edge/qemu/launcher';
import { killAll, runCli, until, type CliRun } from '../qemu/support/cli-run';
import { TestDomain } from './support/test-domain';

jest.setTimeout(300_000);

const STEP_TIMEOUT_MS = 120_000;

describe('spice-webdav -c qemu+ssh://... (real sshd on 127.0.0.1)', () => {
  let domain: TestDomain;
  let sshd: ChildProcess | undefined;
  let uri: string;
  let wrapper: string;
  const runs: CliRun[] = [];

  beforeAll(async () => {
    domain = new TestDomain({});
    const dir = join(domain.dir, 'ssh');
    mkdirSync(dir, { mode: 0o700 });
    for (const key of ['host', 'user']) {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
    }
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user.pub')), { mode: 0o600 });
    const port = await freeLoopbackPort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'StrictModes no',
        'UsePAM no',
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true });
    // In the foreground (-D, logging to stderr with -e): a daemonising sshd writes its PID file after its parent
    // has returned, so reading the file at once raced with it. Ready means its "Server listening" line.
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await sshdListening(sshd);
    // spice-webdav's own ssh (the tunnel) gets the key and skips the host key check through this wrapper;
    // virsh's ssh through the URI's keyfile and no_verify.
    wrapper = join(dir, 'ssh-wrapper');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec ssh -i ${join(dir, 'user')} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"\n`,
    );
    chmodSync(wrapper, 0o700);
    uri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${join(dir, 'user')}&no_verify=1`;
    domain.create();
  });
  afterEach(async () => {
    await killAll(runs);
  });
  afterAll(() => {
    sshd?.kill('SIGTERM');
    domain?.remove();
  });

  it('asks libvirt over ssh and links the webdav channel through an ssh tunnel', async () => {
    const run = runCli(['-c', uri, domain.name, '--share-dir', domain.dir], { SPICE_WEBDAV_SSH: wrapper });
    runs.push(run);
    await until(run, 'via ssh 127.0.0.1', STEP_TIMEOUT_MS);
    await until(run, 'webdav channel up', STEP_TIMEOUT_MS);
    expect(run.output()).toMatch(/connected to 127\.0\.0\.1:\d+ via ssh 127\.0\.0\.1/);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});

/** Resolves on sshd's "Server listening" line; rejects with its output if it exits first. */
function sshdListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Server listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sshd exited (${code}) before listening:\n${output}`)));
    child.once('error', reject);
  });
}
