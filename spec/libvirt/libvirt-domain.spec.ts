// spice-webdav -c qemu:///system DOMAIN against a real libvirtd (started by support/global-setup.ts when it
// does not run) and the test guest in a transient domain. One guest domain serves every test that needs a
// guest (CPU is scarce): it is created while a --wait process waits, destroyed and created again under
// --reconnect, then reached by name, UUID and id.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { GuestCommandChannel } from '../../src/edge/qemu/guest-command-channel';
import { buildGuest } from '../../src/edge/qemu/launcher';
import { killAll, runCli, until, type CliRun } from '../qemu/support/cli-run';
import { SYSTEM_URI } from './support/libvirt-daemons';
import { TestDomain } from './support/test-domain';

jest.setTimeout(600_000);

const GREETING = 'hello from the host through libvirt\n';
const STEP_TIMEOUT_MS = Number(process.env.SPICE_WEBDAV_BOOT_TIMEOUT_MS ?? 120_000);

/** Resolves once the output holds `text` at least `count` times (bounded by STEP_TIMEOUT_MS). */
async function untilCount(run: CliRun, text: string, count: number): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (run.output().split(text).length - 1 < count) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`spice-webdav never printed "${text}" ${count} times; output:\n${run.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(run: CliRun): Promise<number | null> {
  run.child.kill('SIGTERM');
  return (await run.exited).code;
}

describe('spice-webdav with a libvirt domain (real libvirtd)', () => {
  let domain: TestDomain;
  let share: string;
  let channel: GuestCommandChannel | undefined;
  const runs: CliRun[] = [];
  const cli = (...args: string[]): CliRun => {
    const run = runCli(args);
    runs.push(run);
    return run;
  };
  /** GET the greeting inside the guest, through spice-webdavd and the SPICE connection. */
  // spice-webdavd answers about a second after the link (as in the e2e specs): the guest tries up to 30 times.
  const guestGet = async (): Promise<string> => {
    const result = await channel!.exec(
      'for i in $(seq 30); do curl -s -f -m 5 http://127.0.0.1:9843/greeting.txt && exit 0; sleep 0.5; done; exit 1',
      { timeoutMs: 200_000 },
    );
    return result.stdout;
  };

  beforeAll(async () => {
    const guest = await buildGuest();
    domain = new TestDomain({ guest });
    share = mkdtempSync(join(tmpdir(), 'spice-webdav-libvirt-share-'));
    writeFileSync(join(share, 'greeting.txt'), GREETING);
  });
  afterEach(async () => {
    await killAll(runs);
  });
  afterAll(() => {
    channel?.close();
    domain?.remove();
    if (share !== undefined) rmSync(share, { recursive: true, force: true });
  });

  it('fails with exit 19 and lists the domains when there is no such domain', async () => {
    const run = cli('-c', SYSTEM_URI, `${domain.name}-missing`, '--share-dir', share);
    expect((await run.exited).code).toBe(19);
    expect(run.output()).toMatch(
      new RegExp(`No domain "${domain.name}-missing" on qemu:///system(\\. Domains there|, and no domain)`),
    );
  });

  it('fails with exit 18 naming the URI when libvirt is not reachable', async () => {
    const uri = 'qemu+unix:///system?socket=/nonexistent/libvirt-sock';
    const run = cli('-c', uri, 'anything', '--share-dir', share);
    expect((await run.exited).code).toBe(18);
    expect(run.output()).toContain(`Cannot connect to libvirt at ${uri}`);
  });

  it('--wait started before virsh create shares into the guest with the password from libvirt; --reconnect serves it again after destroy + create', async () => {
    const run = cli('-c', SYSTEM_URI, domain.name, '--share-dir', share, '--wait', '--reconnect');
    await until(run, `waiting for domain "${domain.name}"`);
    domain.create();
    await untilCount(run, 'guest spice-webdavd is ready', 1);
    channel = await domain.guestReady();
    expect(await guestGet()).toBe(GREETING);

    domain.destroy();
    channel.close();
    await untilCount(run, `domain "${domain.name}" stopped`, 1);
    domain.create();
    await untilCount(run, 'guest spice-webdavd is ready', 2);
    channel = await domain.guestReady();
    expect(await guestGet()).toBe(GREETING);
    expect(run.output()).not.toContain(domain.password);
    expect(await stop(run)).toBe(0);
  });

  it.each([
    ['name', () => domain.name],
    ['UUID', () => domain.uuid()],
    ['id', () => domain.id()],
  ])('connects by %s', async (_what, key) => {
    const run = cli('-c', SYSTEM_URI, key(), '--share-dir', share);
    await until(run, 'guest spice-webdavd is ready', STEP_TIMEOUT_MS);
    expect(await guestGet()).toBe(GREETING);
    expect(await stop(run)).toBe(0);
  });

  describe('a domain without what sharing needs (firmware only, no guest)', () => {
    it.each([
      [{ spice: false, webdav: false }, 20, /has no SPICE display: add <graphics type='spice'/],
      [
        { webdav: false },
        14,
        /has no webdav channel: add this to its <devices>[^]*<channel type='spiceport'>/,
      ],
    ])('%j exits with %d and says what to add', async (devices, code, message) => {
      const bare = new TestDomain(devices);
      try {
        bare.create();
        const run = cli('-c', SYSTEM_URI, bare.name, '--share-dir', share);
        expect((await run.exited).code).toBe(code);
        expect(run.output()).toMatch(message);
      } finally {
        bare.remove();
      }
    });
  });
});
