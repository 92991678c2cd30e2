// A hostile guest against the whole path: curl in a real guest → spice-webdavd → SPICE → spice-webdav → the
// engine → a host folder. Every test ends with the same checks (afterEach): the folders next to the share are
// byte-for-byte unchanged, and the client is still connected and serving.
//
// Layout on the host (one per file):
//   base/share/         the shared folder: file.txt, sub/inner-link → ../file.txt, inner-dir → sub,
//                       link-file → ../outside/secret.txt, link-dir → ../outside, link-passwd → /etc/passwd
//   base/outside/       secret.txt, victim.txt (must never be read, changed or deleted)
//   base/share-evil/    secret2.txt (a sibling whose name starts like the share's)

import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SharingEvent } from '../../src/edge/sharing/sharing-types';
import { folderManifest, type FolderManifest } from './support/folder-manifest';
import {
  describeResult,
  guestCurlBatch,
  type BatchRequest,
  type BatchResult,
} from './support/guest-curl-batch';
import { guestCurl } from './support/guest-curl';
import { readMultistatus } from '../unit/webdav/support/multistatus';
import { shellQuote } from './support/shell-quote';
import { startSharing, type SharingSession } from './support/sharing-session';
import { untilGuestReachesShare } from './support/until-guest-reaches-share';
import { withGuest } from './support/with-guest';

jest.setTimeout(180_000);

const SECRET = 'TOP SECRET: outside the share';
const SIBLING_SECRET = 'TOP SECRET: in the sibling folder';
const INSIDE = 'inside the share';
const DAV = 'http://127.0.0.1:9843';
/** Short engine timers, so stalled clients are closed within the test (defaults are minutes). */
const ENGINE_TIMERS = { idleTimeoutMs: 5_000, headersTimeoutMs: 3_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every spelling of "the folder next to the share" (or above it) that the findings tried, and a few more. */
const ESCAPES: ReadonlyArray<{ name: string; prefix: string; absolute?: boolean }> = [
  { name: 'raw ..', prefix: '/../outside' },
  { name: 'raw .. from a subfolder', prefix: '/sub/../../outside' },
  { name: '%2e%2e', prefix: '/%2e%2e/outside' },
  { name: '%2E%2E upper case', prefix: '/%2E%2E/outside' },
  { name: '.%2e mixed', prefix: '/.%2e/outside' },
  { name: '..%2f', prefix: '/..%2foutside' },
  { name: '%2e%2e%2f', prefix: '/%2e%2e%2foutside' },
  { name: '..%5c (backslash)', prefix: '/..%5coutside' },
  { name: 'double-encoded %252e', prefix: '/%252e%252e/outside' },
  { name: 'double-encoded %252f', prefix: '/..%252foutside' },
  { name: 'deep climb', prefix: '/../../../../../../../..' + '/tmp' },
  { name: 'absolute-form target', prefix: '/../outside', absolute: true },
];

describe('a hostile guest cannot escape, crash or wedge the share', () => {
  const guest = withGuest();
  let base: string;
  let shareDir: string;
  let sharing: SharingSession;
  let before: FolderManifest;

  /** Everything on the host around the share that no request may touch. */
  const outsideManifest = (): FolderManifest => ({
    ...folderManifest(base, [shareDir]),
    '/etc/passwd': folderManifest('/etc', [])['passwd'] ?? 'missing',
  });

  const waitUntilServing = (): Promise<void> =>
    untilGuestReachesShare(guest.qemu, {
      request: { path: '/file.txt', timeoutMs: 5000 },
      accept: (probe) => probe.status === 200 && probe.text === INSIDE,
    });

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'spice-webdav-hostile-'));
    shareDir = join(base, 'share');
    mkdirSync(shareDir);
    mkdirSync(join(base, 'outside'));
    mkdirSync(join(base, 'share-evil'));
    writeFileSync(join(base, 'outside', 'secret.txt'), SECRET);
    writeFileSync(join(base, 'outside', 'victim.txt'), `${SECRET} (victim)`);
    writeFileSync(join(base, 'share-evil', 'secret2.txt'), SIBLING_SECRET);
    sharing = startSharing(guest.qemu, { path: shareDir }, { engine: ENGINE_TIMERS });
    await sharing.waitFor((e) => e.kind === 'sharing-started');
    await sharing.waitFor((e) => e.kind === 'port-opened');
  });

  afterAll(() => {
    sharing?.stop();
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // Each test starts from the same share content.
    for (const name of readdirSync(shareDir)) rmSync(join(shareDir, name), { recursive: true, force: true });
    writeFileSync(join(shareDir, 'file.txt'), INSIDE);
    mkdirSync(join(shareDir, 'sub'));
    symlinkSync('../file.txt', join(shareDir, 'sub', 'inner-link'));
    symlinkSync('sub', join(shareDir, 'inner-dir'));
    symlinkSync('../outside/secret.txt', join(shareDir, 'link-file'));
    symlinkSync(join(base, 'outside'), join(shareDir, 'link-dir'));
    symlinkSync('/etc/passwd', join(shareDir, 'link-passwd'));
    await waitUntilServing();
    before = outsideManifest();
  });

  afterEach(async () => {
    expect(outsideManifest()).toEqual(before);
    expect(sharing.error).toBeUndefined();
    const alive = await guestCurl(guest.qemu, { path: '/file.txt', timeoutMs: 20_000 });
    expect(alive.status).toBe(200);
    expect(alive.text).toBe(INSIDE);
  });

  /** Runs the batch and checks every answer is a clean 4xx that carries no byte from outside. */
  async function expectAllRefused(requests: BatchRequest[]): Promise<BatchResult[]> {
    const results = await guestCurlBatch(guest.qemu, requests);
    for (const result of results) {
      const outcome = `${describeResult(result)}: ${result.status}`;
      expect({ outcome, clean: result.status >= 400 && result.status < 500 }).toEqual({
        outcome,
        clean: true,
      });
      expect(result.body).not.toContain('TOP SECRET');
      expect(result.body).not.toContain('root:x:0:0');
    }
    return results;
  }

  const target = (
    escape: (typeof ESCAPES)[number],
    rest: string,
  ): Pick<BatchRequest, 'path' | 'requestTarget'> =>
    escape.absolute === true
      ? { path: '/', requestTarget: `${DAV}${escape.prefix}${rest}` }
      : { path: `${escape.prefix}${rest}` };

  describe('path traversal in every encoding', () => {
    it('GET and PROPFIND never read outside the share', async () => {
      await expectAllRefused([
        ...ESCAPES.map((e) => ({ ...target(e, '/secret.txt') })),
        ...ESCAPES.slice(0, 4).map((e) => ({
          ...target(e, '/'),
          method: 'PROPFIND',
          headers: { Depth: '1' },
        })),
        { path: '/../../../../etc/passwd' },
        { path: '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd' },
        { path: '/..%2f..%2f..%2f..%2fetc%2fpasswd' },
        { path: '/..%5c..%5c..%5c..%5cetc%5cpasswd' },
        { path: '/../share-evil/secret2.txt' },
        { path: '/%2e%2e/share-evil/secret2.txt' },
        { path: '/', requestTarget: `${DAV}/../share-evil/secret2.txt` },
        { path: '/', requestTarget: 'http://other.example/../../../../etc/passwd' },
      ]);
    });

    it('PUT and MKCOL never create anything outside the share', async () => {
      await expectAllRefused([
        ...ESCAPES.map((e) => ({ ...target(e, '/pwned.txt'), method: 'PUT', data: 'pwned' })),
        ...ESCAPES.slice(0, 4).map((e) => ({
          ...target(e, '/victim.txt'),
          method: 'PUT',
          data: 'overwritten',
        })),
        ...ESCAPES.slice(0, 4).map((e) => ({ ...target(e, '/newdir'), method: 'MKCOL' })),
        { path: '/../share-evil/pwned.txt', method: 'PUT', data: 'pwned' },
      ]);
    });

    it('DELETE never removes anything outside the share', async () => {
      await expectAllRefused([
        ...ESCAPES.map((e) => ({ ...target(e, '/victim.txt'), method: 'DELETE' })),
        ...ESCAPES.slice(0, 4).map((e) => ({ ...target(e, ''), method: 'DELETE' })),
        { path: '/../share-evil', method: 'DELETE' },
        { path: '/../share-evil/secret2.txt', method: 'DELETE' },
      ]);
    });

    it('COPY and MOVE never read from or write to outside the share', async () => {
      const destinations = ESCAPES.filter((e) => e.absolute !== true).map(
        (e) => `${DAV}${e.prefix}/copied.txt`,
      );
      destinations.push(
        'http://127.0.0.1:9843/../share-evil/copied.txt',
        '/../outside/copied.txt',
        '/%2e%2e/outside/victim.txt',
      );
      await expectAllRefused([
        ...destinations.flatMap((destination) =>
          ['COPY', 'MOVE'].map((method) => ({
            path: '/file.txt',
            method,
            headers: { Destination: destination, Overwrite: 'T' },
          })),
        ),
        // And the other way round: the source outside, the destination inside.
        ...ESCAPES.slice(0, 4).flatMap((e) =>
          ['COPY', 'MOVE'].map((method) => ({
            ...target(e, '/secret.txt'),
            method,
            headers: { Destination: `${DAV}/stolen.txt` },
          })),
        ),
      ]);
      expect(readdirSync(shareDir).sort()).toEqual([
        'file.txt',
        'inner-dir',
        'link-dir',
        'link-file',
        'link-passwd',
        'sub',
      ]);
    });
  });

  describe('symlinks', () => {
    it('a symlink that leaves the share is absent for read, list and write', async () => {
      await expectAllRefused([
        { path: '/link-file' },
        { path: '/link-passwd' },
        { path: '/link-dir/secret.txt' },
        { path: '/link-dir/', method: 'PROPFIND', headers: { Depth: '1' } },
        { path: '/link-dir/secret.txt', method: 'PROPFIND', headers: { Depth: '0' } },
        { path: '/link-dir/pwned.txt', method: 'PUT', data: 'pwned' },
        { path: '/link-dir/victim.txt', method: 'PUT', data: 'overwritten' },
        { path: '/link-dir/newdir', method: 'MKCOL' },
        { path: '/link-dir/victim.txt', method: 'DELETE' },
        { path: '/link-file', method: 'COPY', headers: { Destination: `${DAV}/stolen.txt` } },
        { path: '/link-dir/secret.txt', method: 'MOVE', headers: { Destination: `${DAV}/stolen.txt` } },
        { path: '/file.txt', method: 'COPY', headers: { Destination: `${DAV}/link-dir/copied.txt` } },
        { path: '/file.txt', method: 'MOVE', headers: { Destination: `${DAV}/link-dir/moved.txt` } },
      ]);
      const listing = await guestCurl(guest.qemu, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
      expect(listing.status).toBe(207);
      expect(listing.text).toContain('file.txt');
      expect(listing.text).not.toContain('secret.txt');
      expect(listing.text).not.toContain('link-dir');
    });

    it('writing over an escaping symlink never writes through it', async () => {
      const results = await guestCurlBatch(guest.qemu, [
        { path: '/link-file', method: 'PUT', data: 'replaced' },
        { path: '/link-passwd', method: 'DELETE' },
      ]);
      for (const result of results) expect(result.status).toBeLessThan(500);
      // Whatever the answers, the targets outside are unchanged (afterEach compares the manifests).
    });

    it('a symlink that stays inside the share works', async () => {
      const file = await guestCurl(guest.qemu, { path: '/sub/inner-link' });
      expect(file.status).toBe(200);
      expect(file.text).toBe(INSIDE);
      const dir = await guestCurl(guest.qemu, {
        method: 'PROPFIND',
        path: '/inner-dir/',
        headers: { Depth: '1' },
      });
      expect(dir.status).toBe(207);
      expect(dir.text).toContain('inner-link');
      expect((await guestCurl(guest.qemu, { path: '/inner-dir/inner-link' })).text).toBe(INSIDE);
    });
  });

  describe('links, COPY, MOVE and names (issue 11)', () => {
    it('a link, or a folder holding one, is never moved or copied, so no link comes to point outside', async () => {
      symlinkSync('..', join(shareDir, 'sub', 'up')); // the share root from sub/, the share's parent from /
      await expectAllRefused([
        { path: '/sub/up', method: 'MOVE', headers: { Destination: `${DAV}/up` } },
        { path: '/sub/up', method: 'COPY', headers: { Destination: `${DAV}/up` } },
        { path: '/sub', method: 'MOVE', headers: { Destination: `${DAV}/elsewhere` } },
        { path: '/sub', method: 'COPY', headers: { Destination: `${DAV}/copy` } }, // would recurse via up
        { path: '/up/pwned.txt', method: 'PUT', data: 'pwned' },
      ]);
      expect(readdirSync(shareDir).sort()).toEqual([
        'file.txt',
        'inner-dir',
        'link-dir',
        'link-file',
        'link-passwd',
        'sub',
      ]);
    });

    it('MOVE and COPY onto an ancestor or into the own subtree are refused before anything is lost', async () => {
      mkdirSync(join(shareDir, 'a', 'b'), { recursive: true });
      writeFileSync(join(shareDir, 'a', 'b', 'kept.txt'), INSIDE);
      await expectAllRefused([
        { path: '/a/b', method: 'MOVE', headers: { Destination: `${DAV}/a`, Overwrite: 'T' } },
        { path: '/a/b', method: 'COPY', headers: { Destination: `${DAV}/a`, Overwrite: 'T' } },
        { path: '/a', method: 'MOVE', headers: { Destination: `${DAV}/a/b/c` } },
        { path: '/a', method: 'COPY', headers: { Destination: `${DAV}/a/b/c` } },
      ]);
      expect((await guestCurl(guest.qemu, { path: '/a/b/kept.txt' })).text).toBe(INSIDE);
    });

    it('a 255-byte name is stored, a 256-byte one refused cleanly, and PUT drops setuid', async () => {
      writeFileSync(join(shareDir, 'tool'), 'old');
      chmodSync(join(shareDir, 'tool'), 0o4755);
      const results = await guestCurlBatch(guest.qemu, [
        { path: `/${'n'.repeat(255)}`, method: 'PUT', data: 'long' },
        { path: `/${'n'.repeat(256)}`, method: 'PUT', data: 'longer' },
        { path: '/tool', method: 'PUT', data: 'from the guest' },
      ]);
      expect(results.map((result) => result.status)).toEqual([201, 414, 204]);
      expect(statSync(join(shareDir, 'tool')).mode & 0o7777).toBe(0o755);
      expect(readdirSync(shareDir).filter((name) => name.startsWith('.spice-webdav-'))).toEqual([]);
    });
  });

  describe('the single requests that kill webdav-server 2.6.3 (findings §1.3)', () => {
    it('are answered cleanly and the client keeps serving', async () => {
      const proppatch =
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/z">' +
        '<D:set><D:prop><Z:one>1</Z:one></D:prop></D:set>' +
        '<D:set><D:prop><Z:two>2</Z:two></D:prop></D:set></D:propertyupdate>';
      const results = await guestCurlBatch(guest.qemu, [
        { path: '/file.txt', headers: { If: '(<urn:uuid:1234>)' } },
        { path: '/new.txt', method: 'PUT', headers: { If: '(<urn:uuid:1234>)' }, data: 'x' },
        { path: '/new.txt', method: 'PUT', headers: { If: '(Not <DAV:no-lock>)' }, data: 'y' },
        { path: '/new.txt', method: 'DELETE', headers: { If: '(<urn:uuid:1234>)' } },
        {
          path: '/file.txt',
          method: 'PROPPATCH',
          headers: { 'Content-Type': 'application/xml' },
          data: proppatch,
        },
        { path: '/%00' },
        { path: '/%00', method: 'PROPFIND', headers: { Depth: '0' } },
        { path: '/file.txt%00.jpg' },
        { path: '/%ff%fe' },
        { path: '/%zz' },
        { path: '/%NETHOOD%/', method: 'PROPFIND', headers: { Depth: '1' } },
        { path: '/file.txt', method: 'COPY', headers: { Destination: '::::' } },
        { path: '/file.txt', method: 'COPY', headers: { Destination: `${DAV}/%zz` } },
        { path: '/', method: 'PROPFIND', headers: { Depth: 'bogus' } },
        { path: '/lock-me.txt', method: 'LOCK', headers: { Timeout: 'Second-abc' } },
        { path: '/', requestTarget: '/file.txt#frag', method: 'DELETE' },
      ]);
      for (const result of results) {
        const outcome = `${describeResult(result)}: ${result.status}`;
        expect({ outcome, answered: result.status > 0 && result.status < 500 }).toEqual({
          outcome,
          answered: true,
        });
      }
    });
  });

  describe('oversized requests', () => {
    it('an oversized header block gets 431, an oversized XML body 413', async () => {
      const results = await guestCurlBatch(guest.qemu, [
        { path: '/file.txt', headers: { 'X-Big': 'a'.repeat(40_000) } },
        {
          path: '/file.txt',
          headers: Object.fromEntries([...Array(400).keys()].map((i) => [`X-H${i}`, 'v'.repeat(60)])),
        },
        { path: '/', method: 'PROPFIND', headers: { Depth: '0', 'Content-Length': '99999999999' } },
      ]);
      expect(results.map((r) => r.status)).toEqual([431, 431, 413]);
      // A real body just over the 1 MiB limit, made in the guest (no Expect: 100-continue, send it all).
      const big = await guest.qemu.guestExec(
        'dd if=/dev/zero of=/tmp/big.xml bs=1200000 count=1 2>/dev/null && ' +
          `curl -s -m 60 -X PROPFIND -H 'Depth: 0' -H 'Expect:' --data-binary @/tmp/big.xml -o /dev/null -w '%{http_code}' ${DAV}/; ` +
          'rm -f /tmp/big.xml',
        { timeoutMs: 90_000 },
      );
      expect(big.stdout).toBe('413');
    });
  });

  describe('stalled clients (our own timers close them)', () => {
    /** Starts a raw client in the guest that sends `request` and then holds the connection open, silent. */
    async function stallInGuest(request: string, name: string): Promise<void> {
      const format = request.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
      // Every descriptor redirected: the guest's command server waits for its pipes to close.
      const script = `( (printf ${shellQuote(format)}; sleep 40) | socat - TCP:127.0.0.1:9843 ) </dev/null >/tmp/${name}.out 2>&1 &`;
      const started = await guest.qemu.guestExec(script);
      expect(started.code).toBe(0);
    }

    const closedByServer = (event: SharingEvent): boolean =>
      event.kind === 'client-closed' && event.by === 'server';

    it('a body shorter than its Content-Length is dropped, never stored', async () => {
      const mark = sharing.events.length;
      await stallInGuest(
        'PUT /short.txt HTTP/1.1\r\nHost: g\r\nContent-Length: 100000\r\n\r\nonly a few bytes',
        'short',
      );
      await sharing.waitFor(closedByServer, 60_000, mark);
      expect(readdirSync(shareDir)).not.toContain('short.txt');
      // The aborted writer removes its temporary file asynchronously, just after the connection closed.
      const tempFiles = () =>
        readdirSync(shareDir).filter((name) => name.startsWith('.spice-webdav-upload-'));
      for (let attempt = 0; attempt < 40 && tempFiles().length > 0; attempt++) await sleep(250);
      expect(tempFiles()).toEqual([]);
      expect(readdirSync(shareDir)).not.toContain('short.txt');
    });

    it('a header block that never completes is closed', async () => {
      const mark = sharing.events.length;
      await stallInGuest('GET /file.txt HTTP/1.1\r\nHost: g\r\nX-Slow: ', 'slowloris');
      await sharing.waitFor(closedByServer, 60_000, mark);
    });

    it('a PROPFIND body shorter than its Content-Length is closed', async () => {
      const mark = sharing.events.length;
      await stallInGuest(
        'PROPFIND / HTTP/1.1\r\nHost: g\r\nDepth: 0\r\nContent-Length: 500\r\n\r\n<?xml version="1.0"?>',
        'propfind',
      );
      await sharing.waitFor(closedByServer, 60_000, mark);
    });
  });

  describe('many connections', () => {
    it('200 concurrent connections from inside the guest are all served', async () => {
      const script = [
        'rm -f /tmp/conc.out',
        'i=0',
        'while [ $i -lt 200 ]; do',
        `  curl -sS -m 150 -o /dev/null -w '%{http_code} %{exitcode}\\n' ${DAV}/file.txt >> /tmp/conc.out 2>>/tmp/conc.err &`,
        '  i=$((i + 1))',
        'done',
        'wait',
        'sort /tmp/conc.out | uniq -c',
        'sort /tmp/conc.err | uniq -c >&2',
        'rm -f /tmp/conc.out /tmp/conc.err',
      ].join('\n');
      const result = await guest.qemu.guestExec(script, { timeoutMs: 170_000 });
      // Lines of "<count> <http status> <curl exit code>". spice-webdavd itself resets a few connections of
      // such a burst now and then (curl 56, "connection reset by peer": seen 3 of 200, with no refusal or
      // error on our side); every connection that reaches us must be answered 200.
      const counts = new Map<string, number>();
      for (const line of result.stdout.trim().split('\n')) {
        const [count, status, exit] = line.trim().split(/\s+/);
        counts.set(`${status} ${exit}`, Number(count));
      }
      const served = counts.get('200 0') ?? 0;
      const otherwise = [...counts.entries()].filter(([outcome]) => outcome !== '200 0');
      expect({ served: served >= 190, otherwise: otherwise.filter(([o]) => !o.startsWith('000 ')) }).toEqual({
        served: true,
        otherwise: [],
      });
      expect(sharing.events.filter((e) => e.kind === 'client-refused')).toEqual([]);
      expect(sharing.events.filter((e) => e.kind === 'client-closed' && e.by === 'error')).toEqual([]);
    }, 200_000);
  });
});

// Issue 11, the XML and budget classes, through the real guest: bodies built to cost the client more than
// they cost the guest (made in the guest with awk when larger than guestCurl's inline limit), stored XML that
// must not grow on the way back, guest-controlled state that must hit a byte budget, PROPFIND bodies the old
// fast path handed to webdav-server, and names XML cannot carry. Bounds are counted in bytes, never timed.
describe('a hostile guest cannot make XML or guest state cost more than it sent', () => {
  const guest = withGuest();
  let base: string;
  let shareDir: string;
  let sharing: SharingSession;
  const LONG_NAMESPACE = `urn:${'n'.repeat(1000)}`;
  const GROWTH = 8;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'spice-webdav-hostile-xml-'));
    shareDir = join(base, 'share');
    mkdirSync(shareDir);
    sharing = startSharing(guest.qemu, { path: shareDir });
    await sharing.waitFor((e) => e.kind === 'sharing-started');
    await sharing.waitFor((e) => e.kind === 'port-opened');
  });

  afterAll(() => {
    sharing?.stop();
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  beforeEach(async () => {
    for (const name of readdirSync(shareDir)) rmSync(join(shareDir, name), { recursive: true, force: true });
    writeFileSync(join(shareDir, 'file.txt'), INSIDE);
    await untilGuestReachesShare(guest.qemu, {
      request: { path: '/file.txt', timeoutMs: 5000 },
      accept: (probe) => probe.status === 200 && probe.text === INSIDE,
    });
  });

  afterEach(async () => {
    expect(sharing.error).toBeUndefined();
    const alive = await guestCurl(guest.qemu, { path: '/file.txt', timeoutMs: 20_000 });
    expect(alive.text).toBe(INSIDE);
  });

  /** "status size", then the answer's first KiB, of a request whose body an awk program writes in the guest. */
  async function sendMade(method: string, path: string, awkProgram: string, headers = ''): Promise<string> {
    const result = await guest.qemu.guestExec(
      `awk ${shellQuote(`BEGIN { ${awkProgram} }`)} > /tmp/made.xml && ` +
        `curl -s -m 120 -X ${method} ${headers} -H 'Expect:' --data-binary @/tmp/made.xml ` +
        `-o /tmp/made.out -w '%{http_code} %{size_download}' ${DAV}${path}; echo; head -c 1024 /tmp/made.out; ` +
        'rm -f /tmp/made.xml /tmp/made.out',
      { timeoutMs: 180_000 },
    );
    return result.stdout.trim();
  }

  it('40,000 namespace prefixes with deep nesting, and 400,000 "<?", get 400 at once', async () => {
    const flood =
      'printf "<D:propfind xmlns:D=\\"DAV:\\""; for (i = 0; i < 40000; i++) printf " xmlns:p%d=\\"u\\"", i; ' +
      'printf ">"; for (i = 0; i < 5000; i++) printf "<p1:x>"; for (i = 0; i < 5000; i++) printf "</p1:x>"; ' +
      'printf "</D:propfind>"';
    expect(await sendMade('PROPFIND', '/', flood, "-H 'Depth: 1'")).toMatch(/^400 /);
    expect(await sendMade('PROPFIND', '/', 'for (i = 0; i < 400000; i++) printf "<?"')).toMatch(/^400 /);
  });

  it('a LOCK owner and PROPPATCH values in a long default namespace come back at most 8 times as big', async () => {
    const lockBody =
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>' +
      `<D:locktype><D:write/></D:locktype><D:owner><o xmlns="${LONG_NAMESPACE}">${'<a/>'.repeat(400)}</o>` +
      '</D:owner></D:lockinfo>';
    const locked = await guestCurl(guest.qemu, { method: 'LOCK', path: '/file.txt', body: lockBody });
    expect(locked.status).toBe(200);
    expect(locked.body.length).toBeLessThanOrEqual(GROWTH * lockBody.length + 1024);
    const token = /<([^>]+)>/.exec(locked.headers['lock-token'] ?? '')?.[1] ?? '';
    const patchBody =
      `<D:propertyupdate xmlns:D="DAV:" xmlns="${LONG_NAMESPACE}"><D:set><D:prop>` +
      `${Array.from({ length: 100 }, (_, i) => `<p${i}>${'<a/>'.repeat(90)}</p${i}>`).join('')}` +
      '</D:prop></D:set></D:propertyupdate>';
    const patched = await guestCurl(guest.qemu, {
      method: 'PROPPATCH',
      path: '/file.txt',
      body: patchBody,
      headers: { If: `(<${token}>)` },
    });
    expect(patched.status).toBe(207);
    const found = await guestCurl(guest.qemu, {
      method: 'PROPFIND',
      path: '/file.txt',
      headers: { Depth: '0' },
      body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
    });
    expect(found.status).toBe(207);
    expect(found.body.length).toBeLessThanOrEqual(GROWTH * (lockBody.length + patchBody.length) + 4096);
    expect(readMultistatus(found.body)).toHaveLength(1);
  });

  it('shared locks with 16 KB owners stop at the owner budget (507), and the file still lists', async () => {
    const result = await guest.qemu.guestExec(
      `awk 'BEGIN { printf "<D:lockinfo xmlns:D=\\"DAV:\\"><D:lockscope><D:shared/></D:lockscope>` +
        `<D:locktype><D:write/></D:locktype><D:owner>"; for (i = 0; i < 16000; i++) printf "o"; ` +
        `printf "</D:owner></D:lockinfo>" }' > /tmp/owner.xml; granted=0; ` +
        `while [ $granted -le 400 ]; do code=$(curl -s -m 30 -X LOCK -H 'Expect:' --data-binary @/tmp/owner.xml ` +
        `-o /dev/null -w '%{http_code}' ${DAV}/file.txt); [ "$code" = 200 ] || break; granted=$((granted+1)); done; ` +
        `echo "$granted $code"; rm -f /tmp/owner.xml`,
      { timeoutMs: 600_000 },
    );
    const [granted, last] = result.stdout.trim().split(' ');
    expect(last).toBe('507');
    expect(Number(granted)).toBeLessThanOrEqual((4 * 1024 * 1024) / 16_000);
    const listed = await guestCurl(guest.qemu, {
      method: 'PROPFIND',
      path: '/file.txt',
      headers: { Depth: '0' },
    });
    expect(listed.status).toBe(207);
    expect(listed.body.length).toBeLessThanOrEqual(4 * 1024 * 1024 + Number(granted) * 1024);
  }, 900_000);

  it('dead properties of one file stop at its byte budget (507)', async () => {
    writeFileSync(join(shareDir, 'props.txt'), 'p'); // not file.txt: earlier tests' locks stay on it
    const statuses: string[] = [];
    for (let i = 0; i < 6; i++) {
      const out = await sendMade(
        'PROPPATCH',
        '/props.txt',
        `printf "<D:propertyupdate xmlns:D=\\"DAV:\\" xmlns:Z=\\"urn:z\\"><D:set><D:prop><Z:p${i}>"; ` +
          `for (i = 0; i < 250000; i++) printf "v"; printf "</Z:p${i}></D:prop></D:set></D:propertyupdate>"`,
      );
      statuses.push(`${out.split(' ')[0] ?? ''} ${/HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? ''}`);
    }
    // 250 KB each: four fit in the 1 MiB budget of one path, the fifth and sixth do not.
    expect(statuses).toEqual(['207 200', '207 200', '207 200', '207 200', '207 507', '207 507']);
  });

  it('PROPFIND allprop + include of a 20,000-file folder is answered by our engine', async () => {
    mkdirSync(join(shareDir, 'big'));
    for (let i = 0; i < 20_000; i++) writeFileSync(join(shareDir, 'big', `f${i}.txt`), '');
    const patched = await guestCurl(guest.qemu, {
      method: 'PROPPATCH',
      path: '/big/f7.txt',
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>',
    });
    expect(patched.status).toBe(207);
    const body =
      '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:allprop/><D:include><Z:color/></D:include></D:propfind>';
    const result = await guest.qemu.guestExec(
      `printf '%s' ${shellQuote(body)} > /tmp/include.xml && ` +
        `curl -s -m 300 -X PROPFIND -H 'Depth: 1' --data-binary @/tmp/include.xml -o /tmp/listing.xml ` +
        `-w '%{http_code} %{size_download}' ${DAV}/big/; echo; grep -o '<D:response>' /tmp/listing.xml | wc -l; ` +
        `grep -c 'red</' /tmp/listing.xml; rm -f /tmp/include.xml /tmp/listing.xml`,
      { timeoutMs: 400_000 },
    );
    const [statusAndSize = '', responses = '', red = ''] = result.stdout.trim().split('\n');
    const [status, size] = statusAndSize.split(' ');
    expect(status).toBe('207');
    expect(Number(responses.trim())).toBe(20_001);
    expect(Number(size)).toBeLessThanOrEqual(20_001 * 1500);
    expect(Number(red.trim())).toBe(1); // the dead property: only our PROPFIND knows it
  }, 600_000);

  it('names with control characters list as well-formed XML', async () => {
    const names = ['c\u0001d', 'esc\u001b[1m', 'tab\there', 'new\nline', 'amp&<>"\''];
    for (const name of names) writeFileSync(join(shareDir, name), name);
    const listed = await guestCurl(guest.qemu, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    expect(listed.status).toBe(207);
    const hrefs = readMultistatus(listed.body).map((response) =>
      decodeURIComponent(new URL(response.href, DAV).pathname.slice(1)),
    );
    expect(hrefs.sort()).toEqual(['', 'file.txt', ...names].sort());
  });
});
