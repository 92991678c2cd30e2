// The bench's stand-in for QEMU and the guest (bench/fake-spice-peer.ts), driving our real client in this
// process: what `bench/hotpath --only small` measures must be the requests rclone sends, answered as they
// would be, on keep-alive connections.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { startFakeSpicePeer, type FakeSpicePeer } from '../../../bench/fake-spice-peer';
import { shareFolder } from '../../../src/edge/sharing/share-folder';
import type { SharingEvent } from '../../../src/edge/sharing/sharing-types';

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

  /**
   * Our client sharing a new folder with the fake peer, once it answers (the engine is made once the channel
   * is up; until then every request is answered 503); `onEvent` sees the sharing's events.
   */
  async function sharingWithPeer(
    onEvent: (event: SharingEvent) => void,
  ): Promise<{ started: FakeSpicePeer; folder: string }> {
    const folder = mkdtempSync(join(tmpdir(), 'spice-webdav-fake-peer-'));
    dir = folder;
    writeFileSync(join(folder, 'ready.txt'), 'ready');
    const started = await startFakeSpicePeer();
    peer = started;
    sharing = shareFolder({
      target: { kind: 'tcp', host: '127.0.0.1', port: started.port },
      share: { path: folder },
    }).subscribe(onEvent);
    while ((await started.transfer({ kind: 'get', path: '/ready.txt' })) === 503);
    return { started, folder };
  }

  it("sends rclone's upload requests on one keep-alive connection and reads each answer", async () => {
    const opened: string[] = [];
    const { started, folder } = await sharingWithPeer((event) => {
      if (event.kind === 'client-opened') opened.push(event.id);
    });
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
    expect(readFileSync(join(folder, 'd', 'a.bin'))).toHaveLength(4096);
    expect(readFileSync(join(folder, 'd', 'b.bin'))).toHaveLength(4096);
  });

  it('closes a connection as spice-webdavd does, so `hotpath --only fresh` leaves no session behind', async () => {
    const closed: string[] = [];
    let wake = (): void => undefined;
    const { started } = await sharingWithPeer((event) => {
      if (event.kind !== 'client-closed') return;
      closed.push(event.id);
      wake();
    });

    const connection = started.keepAliveClient();
    expect(await started.transfer({ kind: 'get', path: '/ready.txt' }, connection)).toBe(200);
    const before = closed.length;
    await started.closeClient(connection);
    while (closed.length === before) await new Promise<void>((resolve) => (wake = resolve));
    expect(closed.at(-1)).toBe(connection);
  });
});
