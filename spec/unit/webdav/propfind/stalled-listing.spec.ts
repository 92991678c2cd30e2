import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { connect, davRequest } from '../support/dav-client';
import { makeSandbox, type Sandbox } from '../support/temp-share';
import { until } from '../support/until';

/**
 * A listing larger than what an answer holds back streams, waiting for the guest to read each piece. It
 * did so under the share's namespace lock: a guest program that stopped reading a big listing (suspended,
 * or just slow) kept every PUT, MKCOL, DELETE and MOVE waiting, and, as the lock serves in order, every GET
 * and PROPFIND queued behind them, until its connection's idle timer (10 minutes) closed it.
 */
describe('a listing whose reader stalls', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    const big = path.join(sandbox.share, 'big');
    mkdirSync(big);
    // Long names: each entry's XML carries its name twice, so 2,000 of them are well over HELD_ANSWER_BYTES.
    for (let i = 0; i < 2000; i++)
      writeFileSync(path.join(big, `${String(i).padStart(4, '0')}-${'n'.repeat(200)}`), '');
    writeFileSync(path.join(sandbox.share, 'small.txt'), 'small');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('keeps no other request waiting', async () => {
    const stalled = connect(engine); // never read: its answer stops at the first piece the pair cannot take
    stalled.write('PROPFIND /big/ HTTP/1.1\r\nHost: h\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n');
    await until(() => stalled.readableLength > 0); // the answer is streaming: past the held-back part

    const put = await davRequest(engine, { method: 'PUT', path: '/new.txt', body: 'written' });
    expect(put.status).toBe(201);
    const get = await davRequest(engine, { method: 'GET', path: '/small.txt' });
    expect(get.body.toString()).toBe('small');
    const moved = await davRequest(engine, {
      method: 'MOVE',
      path: '/new.txt',
      headers: { Destination: '/moved.txt' },
    });
    expect(moved.status).toBe(201);

    // The stalled listing still answers in full once its reader reads on.
    let received = '';
    stalled.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await until(() => received.includes('</D:multistatus>'), 10_000);
    stalled.destroy();
    expect(received.match(/<D:response>/g)).toHaveLength(2001);
  });
});
