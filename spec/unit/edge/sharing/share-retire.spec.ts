import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { shareFolder } from '../../../../src/edge/sharing/share-folder';
import type { SharingCommand, SharingEvent } from '../../../../src/edge/sharing/sharing-types';
import type { SessionEvent, WebdavLink } from '../../../../src/edge/spice/spice-session';
import { encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';
import { ids } from '../../channel/mux-loop/loop-fixtures';
import { until } from '../../webdav/support/until';
import { fakeLink } from './support/fake-link';

/**
 * A share replaced or stopped while the guest is in the middle of a transfer, through shareFolder with real
 * engines over real folders and a webdav link without a socket: the transfer finishes on the share it began on
 * (spice-webdavd ignores a close from our side, so a cut transfer left the guest program waiting for its own
 * timeout), idle connections are closed at once, and the guest's next request is served by the new share.
 */
describe('shareFolder: a share change lets transfers in progress finish', () => {
  const SIZE = 3 * 1024 * 1024;
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
  function guest() {
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

  it('a stop: an upload in progress is written whole into the old folder, then the guest gets 503', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    const upload = randomBytes(1024 * 1024);
    const half = upload.length / 2;
    g.send(
      'A',
      Buffer.concat([
        Buffer.from(
          `PUT /up.bin HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: ${upload.length}\r\n\r\n`,
        ),
        upload.subarray(0, 60000),
      ]),
    );
    for (let at = 60000; at < half; at += 60000) g.send('A', upload.subarray(at, Math.min(at + 60000, half)));

    g.commands$.next({ kind: 'stop' });
    await until(() => g.events.some((e) => e.kind === 'sharing-stopped'));
    const stopped = g.events.find((e) => e.kind === 'sharing-stopped');
    expect(stopped).toEqual({ kind: 'sharing-stopped', droppedClients: 0, finishingClients: 1 });
    expect(g.isClosed('A')).toBe(false);

    for (let at = half; at < upload.length; at += 60000)
      g.send('A', upload.subarray(at, Math.min(at + 60000, upload.length)));
    await until(() => g.isClosed('A'));
    expect(g.text('A')).toMatch(/^HTTP\/1\.1 201 /);
    expect(readFileSync(join(one, 'up.bin')).equals(upload)).toBe(true);

    g.forget('A');
    g.send('A', get('/small.txt'));
    await until(() => g.text('A').includes('No folder is shared right now'));
    expect(g.text('A')).toMatch(/^HTTP\/1\.1 503 /);
    expect(existsSync(join(two, 'up.bin'))).toBe(false);
  });

  it('an answer not begun when the share changes says Connection: close', async () => {
    const g = guest();
    await until(() => g.events.some((e) => e.kind === 'sharing-started'));
    // A PUT whose body has not all arrived has no answer yet when the share changes.
    g.send('A', `PUT /late.txt HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: 4\r\n\r\nab`);
    await until(() => g.events.some((e) => e.kind === 'traffic'));
    g.commands$.next({ kind: 'share', path: two });
    await until(() => g.events.filter((e) => e.kind === 'sharing-started').length === 2);
    g.send('A', 'cd');
    await until(() => g.isClosed('A'));
    expect(g.text('A')).toMatch(/^HTTP\/1\.1 201 [^]*\r\nConnection: close\r\n/i);
    expect(readFileSync(join(one, 'late.txt'), 'utf8')).toBe('abcd');
  });
});
