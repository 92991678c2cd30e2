// Root in the guest skips spice-webdavd and writes raw bytes to the virtio port org.spice-space.webdav.0:
// the mux stream our client demultiplexes. Whatever arrives, the client must stay up with bounded state and
// serve again once a sane spice-webdavd is back. The port is single-open, so the daemon is stopped first.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LOOP_LIMITS } from '../../src/channel/mux-loop/loop-limits';
import { clientIdFromBigInt, encodeMuxFrame } from '../../src/wire/mux-frame';
import { startSharing, type SharingSession } from './support/sharing-session';
import { untilGuestReachesShare } from './support/until-guest-reaches-share';
import { withGuest } from './support/with-guest';

jest.setTimeout(180_000);

const PORT = '/dev/virtio-ports/org.spice-space.webdav.0';
const INSIDE = 'served from the share';
const GET_FILE = Buffer.from('GET /file.txt HTTP/1.1\r\nHost: guest\r\n\r\n');

/**
 * A frame from client number `n`, with an id shaped like spice-webdavd's (an aligned address, sign-extended):
 * the client only trusts the first frame after a port opens when its id has that shape (src/wire/mux-resync.ts).
 */
const frame = (n: bigint, payload: Buffer): Buffer => encodeMuxFrame(clientIdFromBigInt(n * 16n), payload);

describe('raw mux attacks from root in the guest', () => {
  const guest = withGuest();
  let dir: string;
  let sharing: SharingSession;

  const waitUntilServing = (): Promise<void> =>
    untilGuestReachesShare(guest.qemu, {
      request: { path: '/file.txt', timeoutMs: 5000 },
      accept: (probe) => probe.status === 200 && probe.text === INSIDE,
      attempts: 60,
    });

  /** Copies bytes into a guest file, in pieces the command channel carries comfortably. */
  async function putGuestFile(path: string, bytes: Buffer): Promise<void> {
    await guest.qemu.guestExec(`: > ${path}`);
    for (let offset = 0; offset < bytes.length; offset += 96 * 1024) {
      const piece = bytes.subarray(offset, offset + 96 * 1024).toString('base64');
      const result = await guest.qemu.guestExec(`echo '${piece}' | base64 -d >> ${path}`);
      if (result.code !== 0) throw new Error(`cannot write ${path} in the guest: ${result.stderr}`);
    }
  }

  /**
   * Stops spice-webdavd, opens the port itself, writes `attack` (a shell command writing to fd 3), keeps the
   * port open for a moment while draining our replies into /tmp/raw.out, then closes it and restarts the
   * daemon. Returns what our client sent back.
   */
  async function rawAttack(attack: string, holdSeconds = 3): Promise<string> {
    const script = [
      'webdavd-stop',
      'rm -f /tmp/raw.out',
      `exec 3<>${PORT}`,
      'cat <&3 > /tmp/raw.out &',
      'reader=$!',
      attack,
      `sleep ${holdSeconds}`,
      'kill $reader',
      'wait $reader 2>/dev/null',
      'exec 3>&-',
    ].join('\n');
    try {
      const result = await guest.qemu.guestExec(script, { timeoutMs: 120_000 });
      if (result.code !== 0) throw new Error(`the raw attack failed in the guest: ${result.stderr}`);
      const out = await guest.qemu.guestExec('base64 /tmp/raw.out; rm -f /tmp/raw.out /tmp/attack.bin');
      return Buffer.from(out.stdout.replace(/\s+/g, ''), 'base64').toString('latin1');
    } finally {
      await guest.qemu.guestExec('webdavd-start');
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-mux-'));
    writeFileSync(join(dir, 'file.txt'), INSIDE);
    sharing = startSharing(guest.qemu, { path: dir });
    await sharing.waitFor((e) => e.kind === 'sharing-started');
    await sharing.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing();
  });

  afterAll(() => {
    sharing?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    // The client never failed, and it serves the restarted daemon.
    expect(sharing.error).toBeUndefined();
    await waitUntilServing();
  });

  const since = (mark: number) => sharing.events.slice(mark);

  it('a frame that declares more bytes than it sends opens nothing and is forgotten when the port closes', async () => {
    const partial = Buffer.concat([frame(1n, Buffer.alloc(65535)).subarray(0, 10), GET_FILE]);
    await putGuestFile('/tmp/attack.bin', partial);
    const mark = sharing.events.length;
    const replies = await rawAttack('cat /tmp/attack.bin >&3');
    expect(replies).toBe('');
    expect(since(mark).filter((e) => e.kind === 'client-opened')).toEqual([]);
    expect(since(mark).some((e) => e.kind === 'port-closed')).toBe(true);
  });

  it('10,000 new client ids open at most maxClients sessions; the rest are refused', async () => {
    const flood = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => frame(BigInt(i + 100), GET_FILE)));
    await putGuestFile('/tmp/attack.bin', flood);
    const mark = sharing.events.length;
    const rssBefore = process.memoryUsage().rss;
    const replies = await rawAttack('cat /tmp/attack.bin >&3', 8);
    const opened = since(mark).filter((e) => e.kind === 'client-opened').length;
    const refused = since(mark).filter((e) => e.kind === 'client-refused').length;
    expect(opened).toBeGreaterThan(0);
    expect(opened + refused).toBeLessThanOrEqual(10_000);
    const closedPort = since(mark).find((e) => e.kind === 'port-closed');
    expect(closedPort?.kind === 'port-closed' && closedPort.droppedClients).toBeLessThanOrEqual(
      DEFAULT_LOOP_LIMITS.maxClients,
    );
    // The sessions that got in were answered.
    expect(replies).toContain('HTTP/1.1 200');
    expect(replies).toContain(INSIDE);
    // Generous: the point is "not proportional to 10,000 sessions", not a measurement.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
  });

  it('a new connection is served beside 20 open ones that finished their answers', async () => {
    // Credit is handed out ahead: open connections that had their answers keep theirs (8 each; 8 such hold all
    // 64), and a later connection waited until they closed (the engine's idle limit, 10 minutes).
    const idle = Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(BigInt(i + 200), GET_FILE)));
    await putGuestFile('/tmp/attack.bin', Buffer.concat([idle, frame(300n, GET_FILE)]));
    const idleBytes = idle.length;
    // Until `count` answers are in (bounded: 60 s each), every connection still open.
    const until = (count: number): string =>
      `n=0; while [ $n -lt 600 ] && [ $(grep -o '${INSIDE}' /tmp/raw.out | wc -l) -lt ${count} ]; do sleep 0.1; n=$((n + 1)); done`;
    const replies = await rawAttack(
      [
        `head -c ${idleBytes} /tmp/attack.bin >&3`,
        until(20),
        `tail -c +${idleBytes + 1} /tmp/attack.bin >&3`,
        until(21),
      ].join('; '),
      0,
    );
    expect(replies.split(INSIDE).length - 1).toBe(21);
  });

  it('garbage after a valid request closes only its own session; a well-framed neighbour is served', async () => {
    const attack = Buffer.concat([
      frame(5n, GET_FILE),
      frame(5n, randomBytes(60_000)), // Node's parser answers 400 and that session ends
      frame(6n, GET_FILE), // another client in the same stream: served
      randomBytes(30_000), // and then the stream itself is garbage
    ]);
    await putGuestFile('/tmp/attack.bin', attack);
    const replies = await rawAttack('cat /tmp/attack.bin >&3');
    expect(replies).toContain('HTTP/1.1 400');
    expect(replies).toContain('HTTP/1.1 200');
    expect(replies).toContain(INSIDE);
  });

  it('1 MiB of random bytes', async () => {
    const mark = sharing.events.length;
    await rawAttack('head -c 1048576 /dev/urandom >&3');
    expect(since(mark).filter((e) => e.kind === 'client-opened').length).toBeLessThanOrEqual(
      DEFAULT_LOOP_LIMITS.maxClients,
    );
  });
});
