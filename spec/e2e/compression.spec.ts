// LZ4 from spice-server on the webdav channel, through the real guest: with compression 'on' (over loopback
// TCP, where 'auto' would not ask for it) QEMU's spice-server compresses what spice-webdavd sends, we
// decode it, and the guest's uploads still arrive byte for byte; with 'off' or 'auto' on loopback it never does.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INITIAL_STATUS, reduceStatus, statusReport } from '../../src/edge/control/sharing-status';
import type { CompressionMode } from '../../src/edge/spice/webdav-caps';
import { startSharing, type SharingSession } from './support/sharing-session';
import { untilGuestReachesShare } from './support/until-guest-reaches-share';
import { withGuest } from './support/with-guest';

jest.setTimeout(180_000);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** About 4 MiB of source-like text, made in the guest (busybox awk): compresses several times over. */
const MAKE_TEXT =
  'awk \'BEGIN { for (i = 0; i < 50000; i++) printf "export function handler%d(request, response) ' +
  '{ return response.status(200).json({ id: %d }); }\\n", i, i * 7 }\' > /tmp/text.txt';
const MAKE_RANDOM = 'dd if=/dev/urandom of=/tmp/random.bin bs=1M count=3 2>/dev/null';

describe('LZ4 compression of the guest data by the real spice-server', () => {
  const guest = withGuest();
  let dir: string;
  let sharing: SharingSession | undefined;

  beforeAll(async () => {
    const made = await guest.qemu.guestExec(`${MAKE_TEXT} && ${MAKE_RANDOM}`, { timeoutMs: 60_000 });
    expect(made.code).toBe(0);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-lz4-'));
  });
  afterEach(() => {
    sharing?.stop();
    sharing = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function share(compression: CompressionMode): Promise<SharingSession> {
    sharing = startSharing(guest.qemu, { path: dir }, { compression });
    await sharing.waitFor((e) => e.kind === 'sharing-started');
    await sharing.waitFor((e) => e.kind === 'port-opened');
    await untilGuestReachesShare(guest.qemu);
    return sharing;
  }

  /** PUTs a guest file to /NAME and checks that the host file has the guest's sha256. */
  async function upload(guestFile: string, name: string): Promise<void> {
    const r = await guest.qemu.guestExec(
      `sha256sum ${guestFile} && curl -s -m 120 -T ${guestFile} -o /dev/null -w '%{http_code}' http://127.0.0.1:9843/${name}`,
      { timeoutMs: 130_000 },
    );
    expect(r.code).toBe(0);
    const [guestSum] = r.stdout.split(/\s+/);
    expect(r.stdout.endsWith('201')).toBe(true);
    expect(sha256(readFileSync(join(dir, name)))).toBe(guestSum);
  }

  /** What `status` reports about compression, folded from the session's events as the CLI does. */
  function compressionStatus(session: SharingSession) {
    const state = session.events.reduce((s, e) => reduceStatus(s, e, 0), INITIAL_STATUS);
    return statusReport(state, 0).compression;
  }

  it("'on': spice-server compresses the guest's text, which arrives intact; random data arrives intact too", async () => {
    const session = await share('on');
    await upload('/tmp/text.txt', 'text.txt');
    const afterText = compressionStatus(session);
    expect(afterText.lz4).toBe(true);
    // Nearly every 64 KiB chunk of a 4 MiB upload is compressed, each to well under half its size.
    const textBytes = readFileSync(join(dir, 'text.txt')).length;
    expect(textBytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(afterText.bytes).toBeGreaterThan(textBytes / 2);
    expect(afterText.compressedBytes).toBeLessThan(afterText.bytes / 2);

    await upload('/tmp/random.bin', 'random.bin');
    // LZ4 makes random data bigger, so spice-server sends it plain: few or no more compressed bytes.
    const afterRandom = compressionStatus(session);
    expect(afterRandom.bytes - afterText.bytes).toBeLessThan(1024 * 1024);
  });

  it.each<CompressionMode>(['off', 'auto'])(
    "'%s' on loopback: nothing is compressed, and the upload arrives intact",
    async (mode) => {
      const session = await share(mode);
      await upload('/tmp/text.txt', 'text.txt');
      expect(compressionStatus(session)).toEqual({ lz4: false, messages: 0, compressedBytes: 0, bytes: 0 });
      expect(session.events.some((e) => e.kind === 'compressed-data')).toBe(false);
    },
  );
});
