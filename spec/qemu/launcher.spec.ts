// The QEMU launcher itself: SPICE comes up, stop() leaves nothing behind, and the test guest boots with
// spice-webdavd, its virtio ports and a working command channel. The SPICE protocol is connection.spec.ts's job.

import { connect } from 'node:net';

import { buildGuest, checkQemuAvailable, startQemu, type RunningQemu } from '../../src/edge/qemu/launcher';
import { guestCurl } from '../e2e/support/guest-curl';

jest.setTimeout(60_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends a link header with an unsupported major version and returns the first bytes of the reply. */
function linkReplyTo(port: number, header: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no link reply within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.once('connect', () => socket.write(header));
  });
}

beforeAll(async () => {
  const availability = await checkQemuAvailable();
  if (!availability.ok) throw new Error(availability.hint);
});

describe('startQemu without a guest', () => {
  let vm: RunningQemu | undefined;

  afterEach(async () => {
    await vm?.stop();
    vm = undefined;
  });

  it('serves SPICE links on a loopback port and answers a bad version with VERSION_MISMATCH', async () => {
    vm = await startQemu();
    expect(vm.spice.host).toBe('127.0.0.1');
    const header = Buffer.alloc(16);
    header.write('REDQ', 0, 'latin1');
    header.writeUInt32LE(1, 4); // major 1: spice-server wants 2
    header.writeUInt32LE(0, 8);
    header.writeUInt32LE(18, 12);
    const reply = await linkReplyTo(vm.spice.port, header);
    expect(reply.subarray(0, 4).toString('latin1')).toBe('REDQ');
    expect(reply.readUInt32LE(16)).toBe(4); // SpiceLinkReply.error = VERSION_MISMATCH
  });

  it('stop() ends the process (idempotently) and reports the exit', async () => {
    const running = await startQemu({ webdavPort: false, unixSocket: true });
    vm = running;
    expect(running.spice.unixPath).toMatch(/spice\.sock$/);
    expect(isAlive(running.pid)).toBe(true);
    await Promise.all([running.stop(), running.stop()]);
    await running.stop();
    expect(isAlive(running.pid)).toBe(false);
    // QEMU usually catches SIGTERM and exits 0; killed before it installs its handler, it dies of it.
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGTERM' },
    ]).toContainEqual(await running.exited);
  });

  it('rejects guestExec without a guest', async () => {
    vm = await startQemu();
    await expect(vm.guestExec('true')).rejects.toThrow(/needs a guest/);
  });
});

describe('startQemu with the test guest', () => {
  let vm: RunningQemu | undefined;

  beforeAll(async () => {
    const guest = await buildGuest();
    vm = await startQemu({ guest, forwardGuestRelay: true });
  }, 300_000);

  afterAll(async () => {
    const pid = vm?.pid;
    await vm?.stop();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  }, 30_000);

  function running(): RunningQemu {
    if (vm === undefined) throw new Error('the guest did not start (see beforeAll)');
    return vm;
  }

  it('runs commands in the guest and reports their output and exit status', async () => {
    const hello = await running().guestExec('echo hi; uname -r');
    expect(hello.code).toBe(0);
    expect(hello.stdout).toMatch(/^hi\n\S+-amd64\n$/);
    const failing = await running().guestExec('echo oops >&2; exit 3');
    expect(failing).toEqual({ code: 3, stdout: '', stderr: 'oops\n' });
    // Output that looks like the channel's own framing passes through untouched.
    const tricky = await running().guestExec("printf '@@END 1 0\\n@@STDERR\\n'");
    expect(tricky.stdout).toBe('@@END 1 0\n@@STDERR\n');
  });

  it('serializes concurrent commands', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => running().guestExec(`sleep 0.$n; echo ${n}`.replace('$n', String(n)))),
    );
    expect(results.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n']);
  });

  it('times out a command that hangs, and keeps working afterwards', async () => {
    await expect(running().guestExec('sleep 30', { timeoutMs: 1_000 })).rejects.toThrow(/timed out/);
    await expect(running().guestExec('echo still here')).resolves.toEqual(
      expect.objectContaining({ code: 0, stdout: 'still here\n' }),
    );
  });

  it('has the webdav and command virtio ports, spice-webdavd, avahi and the relay running', async () => {
    const ports = await running().guestExec('ls /dev/virtio-ports/');
    expect(ports.stdout.split('\n')).toEqual(
      expect.arrayContaining(['org.spice-space.webdav.0', 'org.spiceweb.test.cmd']),
    );
    for (const daemon of ['spice-webdavd', 'avahi-daemon', 'dbus-daemon', 'socat']) {
      const found = await running().guestExec(`pidof ${daemon}`);
      expect({ daemon, code: found.code }).toEqual({ daemon, code: 0 });
    }
    expect(running().webdavForwardPort).toEqual(expect.any(Number));
    expect(running().serialLog()).toContain('SPICE-WEBDAV-GUEST-READY');
  });

  it('restarts spice-webdavd, and stops and starts its loop', async () => {
    const before = (await running().guestExec('pidof spice-webdavd')).stdout.trim();
    expect((await running().guestExec('webdavd-restart')).code).toBe(0);
    const after = (await running().guestExec('pidof spice-webdavd')).stdout.trim();
    expect(after).not.toBe('');
    expect(after).not.toBe(before);
    expect((await running().guestExec('webdavd-stop; pidof spice-webdavd')).code).toBe(1);
    expect((await running().guestExec('webdavd-start; sleep 1; pidof spice-webdavd')).code).toBe(0);
  });

  it('guestCurl reports status, headers and a binary body (against busybox httpd in the guest)', async () => {
    const setup = await running().guestExec(
      'mkdir -p /tmp/www && printf "\\000\\001\\377hello" > /tmp/www/f.bin && (httpd -p 127.0.0.1:8080 -h /tmp/www)',
    );
    expect(setup.code).toBe(0);
    const ok = await guestCurl(running(), { path: '/f.bin', port: 8080 });
    expect(ok.curlExitCode).toBe(0);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-length']).toBe('8');
    expect(ok.body).toEqual(Buffer.from([0, 1, 0xff, ...Buffer.from('hello')]));
    const missing = await guestCurl(running(), { path: '/nope', port: 8080 });
    expect(missing.status).toBe(404);
    const refused = await guestCurl(running(), { path: '/', port: 8081 });
    expect(refused.curlExitCode).toBe(7);
    expect(refused.status).toBe(0);
  });
});
