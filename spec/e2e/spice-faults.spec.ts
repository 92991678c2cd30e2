// Hard failures on the SPICE side, through the whole path: the connection cut (a forwarder between us and
// QEMU stops answering, as a dead server does), being kicked by another SPICE client, the guest daemon
// restarting mid-upload, and QEMU killed. Each ends in one clear line, --reconnect comes back after a loss
// but never fights another client, and an upload cut short never leaves a truncated file under its name.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEvent } from '../../src/edge/cli/format-event';
import type { SharingEvent } from '../../src/edge/sharing/sharing-types';
import { isSpiceConnectionError } from '../../src/edge/spice/errors';
import { connectionsOnPort } from './support/listening-sockets';
import { startSharing, type SharingSession } from './support/sharing-session';
import { untilGuestReachesShare } from './support/until-guest-reaches-share';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { withGuest } from './support/with-guest';

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CONTENT = 'the share answers';
const OLD = 'the previous version of the file';
const RECONNECT = { mode: 'after-loss', initialDelayMs: 500, maxDelayMs: 2000 } as const;

describe('SPICE-side faults', () => {
  const guest = withGuest();
  let dir: string;
  let proxy: TcpProxy | undefined;
  const sessions: SharingSession[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-faults-'));
    writeFileSync(join(dir, 'file.txt'), CONTENT);
  });

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.stop();
    await proxy?.close();
    proxy = undefined;
    rmSync(dir, { recursive: true, force: true });
    // The next test starts once spice-server has noticed the last client left (it closed its sockets).
    for (let i = 0; i < 100 && connectionsOnPort(guest.qemu.pid, guest.qemu.spice.port) > 0; i++)
      await sleep(100);
  });

  function share(extra: Parameters<typeof startSharing>[2] = {}): SharingSession {
    const session = startSharing(guest.qemu, { path: dir }, extra);
    sessions.push(session);
    return session;
  }

  function throughProxy(): { target: { kind: 'tcp'; host: string; port: number } } {
    if (proxy === undefined) throw new Error('no proxy');
    return { target: { kind: 'tcp', host: '127.0.0.1', port: proxy.port } };
  }

  /** Waits until a guest GET is answered by the share (the daemon answers ~1 s after the channel links). */
  const waitUntilServing = (session?: SharingSession): Promise<void> =>
    untilGuestReachesShare(guest.qemu, {
      request: { path: '/file.txt', timeoutMs: 5000 },
      accept: (probe) => probe.status === 200 && probe.text === CONTENT,
      attempts: 20,
      explain: async () => {
        const daemon = await guest.qemu.guestExec('tail -5 /tmp/webdavd.log', { timeoutMs: 10_000 });
        const events = session?.events.slice(-15).map((e) => e.kind) ?? [];
        return `recent events: ${events.join(', ')}; daemon log: ${daemon.stdout}`;
      },
    });

  /** Waits for the session's fatal error (or says it never came: waitFor rejects after 20 s). */
  function failureOf(session: SharingSession): Promise<unknown> {
    return session
      .waitFor(() => false, 20_000)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
  }

  const oneLine = (message: string) => expect(message).not.toContain('\n');
  const countIn = (session: SharingSession, since: number): number =>
    session.events.slice(since).filter((e) => e.kind === 'traffic' && e.direction === 'in').length;
  const tempFiles = () => readdirSync(dir).filter((name) => name.startsWith('.spice-webdav-upload-'));

  /**
   * Starts an upload from inside the guest and waits until it is under way: `curl` reads /tmp/upload.bin
   * (random bytes, `megabytes` of them) and runs in the background.
   */
  async function startGuestUpload(megabytes: number, curl: string): Promise<void> {
    const started = await guest.qemu.guestExec(
      `dd if=/dev/urandom of=/tmp/upload.bin bs=1M count=${megabytes} 2>/dev/null && ` +
        `(${curl}) </dev/null >/dev/null 2>&1 &`,
      { timeoutMs: 60_000 },
    );
    expect(started.code).toBe(0);
    for (let i = 0; i < 300 && tempFiles().length === 0; i++) await sleep(100);
    expect(tempFiles()).toHaveLength(1);
  }

  /** Starts a 48 MiB upload over file.bin from inside the guest, and waits until it is under way. */
  async function startUpload(): Promise<void> {
    writeFileSync(join(dir, 'file.bin'), OLD);
    await startGuestUpload(
      48,
      'curl -s -m 120 -T /tmp/upload.bin http://127.0.0.1:9843/file.bin; rm -f /tmp/upload.bin',
    );
  }

  /** An upload cut short: the old file is unchanged and no temporary file stays behind. */
  async function expectNoTruncatedUpload(): Promise<void> {
    for (let i = 0; i < 100 && tempFiles().length > 0; i++) await sleep(200);
    expect(tempFiles()).toEqual([]);
    expect(readFileSync(join(dir, 'file.bin'), 'utf8')).toBe(OLD);
  }

  it('a cut connection is "server gone" in one line; the upload in flight leaves no truncated file', async () => {
    proxy = await startTcpProxy(guest.qemu.spice.host, guest.qemu.spice.port);
    const session = share(throughProxy());
    await session.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing(session);
    await startUpload();
    await proxy.cut();
    const error = await failureOf(session);
    expect(isSpiceConnectionError(error) && error.reason).toBe('server-gone');
    if (error instanceof Error) oneLine(error.message);
    await expectNoTruncatedUpload();
    await guest.qemu.guestExec('killall curl 2>/dev/null; rm -f /tmp/upload.bin');
  });

  // A cut in the middle of a transfer leaves spice-webdavd half-way through writing a frame, and QEMU drops what
  // it writes while no client is attached, so the next client's stream starts inside a frame. The mux has no
  // sync marker: the demuxer must find the next whole frame (src/wire/mux-resync.ts) or misread every frame
  // after it, and the guest is never served again. An endless upload keeps the daemon writing the whole time.
  it('a client that joins while the guest is still sending skips the rest of the old frame and serves', async () => {
    proxy = await startTcpProxy(guest.qemu.spice.host, guest.qemu.spice.port);
    const first = share(throughProxy());
    await first.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing(first);
    await startGuestUpload(
      16,
      'while cat /tmp/upload.bin; do :; done | curl -s -m 120 -T - http://127.0.0.1:9843/endless.bin',
    );
    // Cut while the daemon is writing: after 16 more frames of the upload have arrived (counted, not timed).
    const mark = first.events.length;
    await first.waitFor(
      (e) => e.kind === 'traffic' && e.direction === 'in' && countIn(first, mark) >= 16,
      30_000,
      mark,
    );
    await proxy.cut();
    expect(isSpiceConnectionError(await failureOf(first))).toBe(true);
    const second = share();
    await second.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing(second);
    expect(second.error).toBeUndefined();
    await guest.qemu.guestExec('killall curl cat 2>/dev/null; rm -f /tmp/upload.bin');
    for (let i = 0; i < 100 && tempFiles().length > 0; i++) await sleep(200);
    expect(tempFiles()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('endless.bin');
  });

  it('--reconnect comes back after the connection is cut and serves again', async () => {
    proxy = await startTcpProxy(guest.qemu.spice.host, guest.qemu.spice.port);
    const session = share({ ...throughProxy(), reconnect: RECONNECT });
    await session.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing();
    const mark = session.events.length;
    await proxy.cut();
    const retry = await session.waitFor((e) => e.kind === 'reconnecting', 30_000, mark);
    expect(retry.kind === 'reconnecting' && retry.reason).toBe('server-gone');
    const line = formatEvent(retry, false) ?? '';
    oneLine(line);
    expect(line).toMatch(/went away.*Reconnecting in \d+ s/);
    // A second attempt fails too while the address is down, with a longer delay.
    await session.waitFor((e) => e.kind === 'reconnecting' && e.attempt >= 2, 30_000, mark);
    await proxy.restore();
    await session.waitFor((e) => e.kind === 'channel-ready', 60_000, mark);
    await session.waitFor((e) => e.kind === 'port-opened', 60_000, mark);
    await waitUntilServing(session);
    expect(session.error).toBeUndefined();
  });

  it('being kicked by another client ends --reconnect in one line instead of fighting back', async () => {
    const first = share({ reconnect: RECONNECT });
    await first.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing();
    const second = share();
    const error = await failureOf(first);
    expect(isSpiceConnectionError(error) && error.reason).toBe('kicked');
    if (error instanceof Error) oneLine(error.message);
    expect(first.events.some((e: SharingEvent) => e.kind === 'reconnecting')).toBe(false);
    // The other client keeps the VM, undisturbed.
    await second.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing();
    expect(second.error).toBeUndefined();
  });

  it('the guest daemon restarting mid-upload leaves no truncated file, and the share serves again', async () => {
    const session = share();
    await session.waitFor((e) => e.kind === 'port-opened');
    await waitUntilServing();
    await startUpload();
    const mark = session.events.length;
    const restart = await guest.qemu.guestExec('webdavd-restart', { timeoutMs: 30_000 });
    expect(restart.code).toBe(0);
    await session.waitFor((e) => e.kind === 'port-closed', 20_000, mark);
    await expectNoTruncatedUpload();
    await waitUntilServing();
    expect(session.error).toBeUndefined();
    await guest.qemu.guestExec('killall curl 2>/dev/null; rm -f /tmp/upload.bin');
  });

  // Last: it kills the guest's QEMU (withGuest's afterAll copes with a dead one).
  it('QEMU killed is "server gone", said in one line', async () => {
    const session = share();
    await session.waitFor((e) => e.kind === 'port-opened');
    process.kill(guest.qemu.pid, 'SIGKILL');
    await guest.qemu.exited;
    const error = await failureOf(session);
    expect(isSpiceConnectionError(error) && error.reason).toBe('server-gone');
    if (error instanceof Error) {
      oneLine(error.message);
      expect(error.message).toMatch(/went away/);
    }
  });
});
