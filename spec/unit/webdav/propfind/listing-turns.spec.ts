import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { listingTurns } from '../../../../src/webdav/propfind/answer-propfind';
import { connect, davRequest } from '../support/dav-client';
import { makeSandbox, type Sandbox } from '../support/temp-share';

describe('folder listings take turns', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    for (let i = 0; i < 20; i++) writeFileSync(path.join(sandbox.share, `file-${i}.txt`), 'x');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('a Depth 1 listing waits while every turn is taken, and is answered in full once one ends', async () => {
    // Other connections' listings hold every turn (their guest reads nothing).
    const others = await Promise.all(
      Array.from({ length: listingTurns.limit }, () => listingTurns.acquire()),
    );
    let answered = false;
    const listing = davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } }).then(
      (res) => ((answered = true), res),
    );
    // Depth 0 is no listing: it is answered meanwhile.
    const self = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '0' } });
    expect(self.status).toBe(207);
    // Bounded by the test's timeout: the listing reaches the queue after a few file-system calls.
    while (listingTurns.waitingCount === 0) await new Promise(setImmediate);
    expect(listingTurns.waitingCount).toBe(1);
    expect(answered).toBe(false);

    for (const end of others) end();
    const res = await listing;
    expect(res.status).toBe(207);
    expect(res.body.toString().match(/<D:response>/g)).toHaveLength(21);
    expect(listingTurns.inUse).toBe(0);
  });

  it('a listing waiting for its turn holds no namespace lock: writes and reads go on meanwhile', async () => {
    // Until session 23 the turn was taken under the shared lock: with every turn held by stalled listings, a
    // ninth listing held the lock while it waited, a PUT queued behind it, and every request behind the PUT.
    const others = await Promise.all(
      Array.from({ length: listingTurns.limit }, () => listingTurns.acquire()),
    );
    const listing = davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    while (listingTurns.waitingCount === 0) await new Promise(setImmediate);

    const put = await davRequest(engine, { method: 'PUT', path: '/new.txt', body: 'written' });
    expect(put.status).toBe(201);
    const get = await davRequest(engine, { method: 'GET', path: '/new.txt' });
    expect(get.body.toString()).toBe('written');
    expect(listingTurns.waitingCount).toBe(1);

    for (const end of others) end();
    expect((await listing).body.toString().match(/<D:response>/g)).toHaveLength(22);
  });

  it('a listing whose connection closes while it waits for a turn leaves the queue', async () => {
    const others = await Promise.all(
      Array.from({ length: listingTurns.limit }, () => listingTurns.acquire()),
    );
    const abandoned = connect(engine);
    abandoned.write('PROPFIND / HTTP/1.1\r\nHost: h\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n');
    while (listingTurns.waitingCount === 0) await new Promise(setImmediate);
    abandoned.destroy();
    while (listingTurns.waitingCount > 0) await new Promise(setImmediate);
    for (const end of others) end();
    // The turn it never took is free: nothing holds one.
    expect(listingTurns.inUse).toBe(0);
  });
});
