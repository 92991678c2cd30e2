// litmus, the WebDAV conformance suite, through the whole path: litmus on the host → QEMU's user-net forward
// → the guest's relay → spice-webdavd → SPICE → spice-webdav → the engine → a host folder.
//
// The gate is the count of passed tests, so it never regresses. The issue asks for 100 of 104 (phodav passes
// 103 through this path, Apache 104); both the engine alone (spec/unit/webdav/litmus.spec.ts) and this path
// pass all 104 (basic 16/16, copymove 13/13, props 30/30, locks 41/41, http 4/4).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostDavRequest } from './support/host-dav';
import { startSharing, type SharingSession } from './support/sharing-session';
import { withGuest } from './support/with-guest';

const PASSED_AT_LEAST = 104;

interface SuiteSummary {
  readonly suite: string;
  readonly passed: number;
}

function parseLitmusSummaries(output: string): SuiteSummary[] {
  return [...output.matchAll(/<- summary for `(\w+)': of \d+ tests run: (\d+) passed/g)].map((match) => ({
    suite: match[1] ?? '',
    passed: Number(match[2]),
  }));
}

describe('litmus through a real guest', () => {
  // litmus runs on the host, so it needs the forward to the guest relay (off by default: docs/security.md).
  const guest = withGuest({ forwardGuestRelay: true });
  let dir: string;
  let home: string;
  let sharing: SharingSession | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-litmus-share-'));
    home = mkdtempSync(join(tmpdir(), 'spice-webdav-litmus-home-'));
  });

  afterAll(() => {
    sharing?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it(`passes at least ${PASSED_AT_LEAST} of litmus's 104 tests`, async () => {
    sharing = startSharing(guest.qemu, { path: dir });
    await sharing.waitFor((e) => e.kind === 'port-opened');
    const port = guest.qemu.webdavForwardPort;
    if (port === undefined) throw new Error('the guest has no forwarded webdav port');
    // The daemon answers about a second after the channel links.
    let ready = false;
    for (let attempt = 0; attempt < 40 && !ready; attempt++) {
      ready = await hostDavRequest(guest.qemu, { method: 'OPTIONS', path: '/', timeoutMs: 5000 }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(ready).toBe(true);
    const output = await new Promise<string>((resolve) => {
      execFile(
        '/usr/bin/litmus',
        ['-k', `http://127.0.0.1:${port}/`],
        { timeout: 280_000, env: { ...process.env, HOME: home } },
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    const summaries = parseLitmusSummaries(output);
    const passed = summaries.reduce((sum, summary) => sum + summary.passed, 0);
    expect({ suites: summaries.map((s) => s.suite), passed: passed >= PASSED_AT_LEAST }).toEqual({
      suites: ['basic', 'copymove', 'props', 'locks', 'http'],
      passed: true,
    });
    expect(sharing.error).toBeUndefined();
  }, 300_000);
});
