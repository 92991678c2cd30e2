// The bench's stand-in for QEMU and the guest (bench/fake-spice-peer.ts), driving our real client in this
// process: what `bench/hotpath --only small` measures must be the requests rclone sends, answered as they
// would be, on keep-alive connections.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { startFakeSpicePeer, type FakeSpicePeer } from '../../../bench/fake-spice-peer';
import { shareFolder } from '../../../src/edge/sharing/share-folder';

describe('the fake SPICE peer', () => {
  let peer: FakeSpicePeer | undefined;
  let sharing: Subscription | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    sharing?.unsubscribe();
    await peer?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    peer = sharing = dir = undefined;
  });

  it("sends rclone's upload requests on one keep-alive connection and reads each answer", async () => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-fake-peer-'));
    writeFileSync(join(dir, 'ready.txt'), 'ready');
    const started = await startFakeSpicePeer();
    peer = started;
    const opened: string[] = [];
    sharing = shareFolder({
      target: { kind: 'tcp', host: '127.0.0.1', port: started.port },
      share: { path: dir },
    }).subscribe((event) => {
      if (event.kind === 'client-opened') opened.push(event.id);
    });
    // The engine is made once the channel is up; until then every request is answered 503.
    while ((await started.transfer({ kind: 'get', path: '/ready.txt' })) === 503);
    const probes = opened.length;

    const connection = started.keepAliveClient();
    const statuses = [];
    for (const file of ['a.bin', 'b.bin']) {
      statuses.push(await started.transfer({ kind: 'mkcol', path: '/d/' }, connection));
      statuses.push(await started.transfer({ kind: 'put', path: `/d/${file}`, bytes: 4096 }, connection));
      statuses.push(await started.transfer({ kind: 'propfind', path: `/d/${file}` }, connection));
    }
    statuses.push(await started.transfer({ kind: 'get', path: '/d/b.bin' }, connection));

    expect(statuses).toEqual([201, 201, 207, 405, 201, 207, 200]);
    expect(opened).toHaveLength(probes + 1); // all seven on one mux client
    expect(new Set(opened).size).toBe(opened.length);
    expect(readFileSync(join(dir, 'd', 'a.bin'))).toHaveLength(4096);
    expect(readFileSync(join(dir, 'd', 'b.bin'))).toHaveLength(4096);
  });

  it('closes a connection as spice-webdavd does, so `hotpath --only fresh` leaves no session behind', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-fake-peer-'));
    writeFileSync(join(dir, 'ready.txt'), 'ready');
    const started = await startFakeSpicePeer();
    peer = started;
    const closed: string[] = [];
    let wake = (): void => undefined;
    sharing = shareFolder({
      target: { kind: 'tcp', host: '127.0.0.1', port: started.port },
      share: { path: dir },
    }).subscribe((event) => {
      if (event.kind !== 'client-closed') return;
      closed.push(event.id);
      wake();
    });
    while ((await started.transfer({ kind: 'get', path: '/ready.txt' })) === 503);

    const connection = started.keepAliveClient();
    expect(await started.transfer({ kind: 'get', path: '/ready.txt' }, connection)).toBe(200);
    const before = closed.length;
    await started.closeClient(connection);
    while (closed.length === before) await new Promise<void>((resolve) => (wake = resolve));
    expect(closed.at(-1)).toBe(connection);
  });
});
