import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { shareFolder } from '../../../../src/edge/sharing/share-folder';
import type { SharingCommand, SharingEvent } from '../../../../src/edge/sharing/sharing-types';
import type { SessionEvent, WebdavLink } from '../../../../src/edge/spice/spice-session';
import { LARGE_READ_BYTES } from '../../../../src/webdav/file-response';
import { encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';
import { ids } from '../../channel/mux-loop/loop-fixtures';
import { until } from '../../webdav/support/until';
import { fakeLink } from './support/fake-link';

/**
 * A share replaced or stopped while the guest is in the middle of a transfer, through shareFolder with real
 * engines over real folders and a webdav link without a socket: a download being sent finishes on the share it
 * began on, within the grace (spice-webdavd ignores a close from our side, so a cut download left the guest
 * program waiting for its own timeout); everything else is ended at once and nothing more is acted on there,
 * and the guest's next request is served by the new share.
 */
describe('shareFolder: a share change lets transfers in progress finish', () => {
  // Three large reads: a download is still reading its file (not only sending what it read) when the share changes.
  const SIZE = 3 * LARGE_READ_BYTES;
  let one: string;
  let two: string;
  let content: Buffer;
  let subscription: Subscription | undefined;

  beforeEach(() => {
    one = mkdtempSync(join(tmpdir(), 'spice-webdav-retire-one-'));
    two = mkdtempSync(join(tmpdir(), 'spice-webdav-retire-two-'));
    content = randomBytes(SIZE);
    writeFileSync(join(one, 'big.bin'), content);
    writeFileSync(join(one, 'small.txt'), 'from one');
    writeFileSync(join(two, 'small.txt'), 'from two');
  });
  afterEach(() => {
    subscription?.unsubscribe();
    rmSync(one, { recursive: true, force: true });
    rmSync(two, { recursive: true, force: true });
  });

  /**
   * The guest side: what each connection received, the close frames, and a socket that takes frames only
   * while `flowing` (otherwise they wait for a drain, as behind a guest that stopped reading).
   */
  function guest(graceMs?: number) {
    const received = new Map<ClientId, Buffer[]>();
    const closed: ClientId[] = [];
    const drained$ = new Subject<void>();
    const session$ = new Subject<SessionEvent>();
    const commands$ = new Subject<SharingCommand>();
    const events: SharingEvent[] = [];
    const state = { flowing: true };
    const { linked } = fakeLink(() => 0, drained$);
    if (linked.kind !== 'webdav-linked') throw new Error('fakeLink gives a linked webdav channel');
    const link: WebdavLink = {
      ...linked,
      sendFrames: (id, payloads) => {
        received.set(id, [...(received.get(id) ?? []), ...payloads.map((payload) => Buffer.from(payload))]);
        return state.flowing ? payloads.length : 0;
      },
      sendCloseFrames: (closing) => {
        closed.push(...closing);
        return true;
      },
    };
    subscription = shareFolder(
      {
        target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
        share: { path: one },
        connectSpice: () => session$,
        ...(graceMs === undefined ? {} : { engine: { retireGraceMs: graceMs } }),
      },
      commands$,
    ).subscribe((event) => events.push(event));
    session$.next({ ...link, kind: 'webdav-linked' });
    session$.next({ kind: 'port-event', event: 'opened' });
    const send = (name: string, bytes: Buffer | string): void => {
      const frame = encodeMuxFrame(ids[name] as ClientId, Buffer.from(bytes));
      session$.next({ kind: 'vmc-data', pieces: [frame], bytes: frame.length });
    };
    const text = (name: string): string =>
      Buffer.concat(received.get(ids[name] as ClientId) ?? []).toString('latin1');
    const body = (name: string): Buffer => {
      const bytes = Buffer.concat(received.get(ids[name] as ClientId) ?? []);
      const end = bytes.indexOf('\r\n\r\n');
      return end < 0 ? Buffer.alloc(0) : bytes.subarray(end + 4);
    };
    const forget = (name: string): void => void received.delete(ids[name] as ClientId);
    const isClosed = (name: string): boolean => closed.includes(ids[name] as ClientId);
    const flow = (): void => {
      state.flowing = true;
      drained$.next();
    };
    return { send, text, body, forget, isClosed, flow, state, commands$, events };
  }

  const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: localhost:9843\r\n\r\n`;

  it('a new share: a download in progress completes from the old folder, an idle connection closes at once', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    g.send('B', get('/small.txt'));
    await until(() => g.text('B').endsWith('from one'));
    g.state.flowing = false;
    g.send('A', get('/big.bin'));
    await until(() => g.body('A').length > 0);

    g.commands$.next({ kind: 'share', path: two });
    await until(() => g.events.filter((e) => e.kind === 'sharing-started').length === 2);
    await until(() => g.isClosed('B'));
    expect(g.isClosed('A')).toBe(false);

    g.flow();
    await until(() => g.isClosed('A'));
    expect(g.body('A').equals(content)).toBe(true);
    expect(g.text('A')).toMatch(/^HTTP\/1\.1 200 /);

    // The daemon keeps its guest connection: its next request on the same id is served by the new share.
    g.forget('A');
    g.send('A', get('/small.txt'));
    await until(() => g.text('A').endsWith('from two'));
  });

  it('a stop: an upload in progress is cut and leaves nothing; the guest then gets 503', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    const upload = randomBytes(1024 * 1024);
    const head = `PUT /up.bin HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: ${upload.length}\r\n\r\n`;
    g.send('A', Buffer.concat([Buffer.from(head), upload.subarray(0, 60000)]));
    await until(() => readdirSync(one).length > 2); // its temp file: the upload is under way

    g.commands$.next({ kind: 'stop' });
    await until(() => g.isClosed('A'));
    expect(g.events.find((e) => e.kind === 'sharing-stopped')).toEqual({
      kind: 'sharing-stopped',
      droppedClients: 0,
    });
    await until(() => readdirSync(one).length === 2);
    expect(readdirSync(one).sort()).toEqual(['big.bin', 'small.txt']);

    // The guest program closes its connection (a zero frame); the daemon may then give the id to a new one.
    g.forget('A');
    g.send('A', '');
    g.send('A', get('/small.txt'));
    await until(() => g.text('A').includes('No folder is shared right now'));
    expect(g.text('A')).toMatch(/^HTTP\/1\.1 503 /);
  });

  it('a new share: the rest of an upload cut in its middle is dropped, never read as requests on the new share', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    const head = `PUT /up.bin HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: ${1024 * 1024}\r\n\r\n`;
    g.send('A', Buffer.concat([Buffer.from(head), randomBytes(60000)]));
    await until(() => readdirSync(one).length > 2);
    g.commands$.next({ kind: 'share', path: two });
    await until(() => g.isClosed('A'));

    // spice-webdavd keeps the guest's connection, whose program goes on sending its body: here, bytes that
    // read as a request (a user's .http file). A reviewer had such an upload delete a file of the new share.
    g.forget('A');
    g.send('A', `\r\nDELETE /small.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n`);
    g.send('A', `DELETE /small.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n`);
    g.send('B', get('/small.txt')); // a request after them on another connection: they were taken first
    await until(() => g.text('B').endsWith('from two'));
    expect(g.text('A')).toBe('');
    expect(readFileSync(join(two, 'small.txt'), 'utf8')).toBe('from two');
    expect(readdirSync(one).sort()).toEqual(['big.bin', 'small.txt']);

    // Once the guest closes that connection, the id serves a new one, on the new share.
    g.send('A', '');
    g.send('A', get('/small.txt'));
    await until(() => g.text('A').endsWith('from two'));
  });

  it('a share started while an upload arrives at the 503 stand-in: the rest of its body is dropped', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    g.commands$.next({ kind: 'stop' });
    await until(() => g.events.some((e) => e.kind === 'sharing-stopped'));
    // A small body (a reviewer's case: the stand-in kept such a connection open, and the share's start dropped
    // its session, so the rest was read as a DELETE on the new share).
    const rest = 'DELETE /small.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n';
    const head = `PUT /up.bin HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: ${1000 + rest.length}\r\n\r\n`;
    g.send('A', head + 'x'.repeat(1000));
    await until(() => g.text('A').includes('No folder is shared right now'));
    g.commands$.next({ kind: 'share', path: two });
    await until(() => g.events.filter((e) => e.kind === 'sharing-started').length === 2);
    g.forget('A');
    g.send('A', rest);
    g.send('B', get('/small.txt'));
    await until(() => g.text('B').endsWith('from two'));
    expect(g.text('A')).toBe('');
    expect(readFileSync(join(two, 'small.txt'), 'utf8')).toBe('from two');
  });

  it('a request pipelined behind a download that finishes on the old share gets a 503 and is not acted on', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    g.state.flowing = false;
    g.send('A', get('/big.bin'));
    await until(() => g.body('A').length > 0);
    g.commands$.next({ kind: 'stop' });
    await until(() => g.events.some((e) => e.kind === 'sharing-stopped'));
    g.send('A', `DELETE /small.txt HTTP/1.1\r\nHost: localhost:9843\r\n\r\n`);
    g.flow();
    await until(() => g.isClosed('A'));
    expect(g.text('A')).toMatch(/^HTTP\/1\.1 200 [^]*HTTP\/1\.1 503 /);
    expect(readFileSync(join(one, 'small.txt'), 'utf8')).toBe('from one');
  });

  it('a download that outlasts the grace is cut', async () => {
    const g = guest(100);
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    g.state.flowing = false; // a guest program that stopped reading
    g.send('A', get('/big.bin'));
    await until(() => g.body('A').length > 0);
    g.commands$.next({ kind: 'share', path: two });
    await until(() => g.isClosed('A'));
    expect(g.body('A').length).toBeLessThan(SIZE);
  });

  it('a second change closes an engine still finishing a download: only one engine retires at a time', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    g.state.flowing = false;
    g.send('A', get('/big.bin'));
    await until(() => g.body('A').length > 0);
    g.commands$.next({ kind: 'share', path: two });
    await until(() => g.events.filter((e) => e.kind === 'sharing-started').length === 2);
    expect(g.isClosed('A')).toBe(false);
    g.commands$.next({ kind: 'stop' });
    await until(() => g.isClosed('A'));
    expect(g.body('A').length).toBeLessThan(SIZE);
  });

  it('a new share of the same folder changes nothing until the old engine is quiet', async () => {
    writeFileSync(join(one, 'huge.bin'), Buffer.alloc(64 * 1024 * 1024, 97));
    const temps = () => readdirSync(one).filter((name) => name.startsWith('.spice-webdav-upload-'));
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    g.send(
      'A',
      'COPY /huge.bin HTTP/1.1\r\nHost: localhost:9843\r\nDestination: http://localhost:9843/doc.txt\r\n\r\n',
    );
    await until(() => temps().length > 0); // the old engine's COPY is staging
    g.commands$.next({ kind: 'share', path: one });
    await until(() => g.events.filter((e) => e.kind === 'sharing-started').length === 2);
    g.send('B', 'PUT /doc.txt HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: 3\r\n\r\nnew');
    await until(() => g.text('B').startsWith('HTTP/1.1 201'), 20_000);
    expect(temps()).toEqual([]);
    expect(readFileSync(join(one, 'doc.txt'), 'utf8')).toBe('new');
  });
});
