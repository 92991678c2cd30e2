import { execFileSync } from 'node:child_process';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { MAX_PIPELINED_REQUESTS } from '../../../src/webdav/connection-host';
import { connect, davRequest, startTwoPartPut } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

/** An independent attacker's review of issue 11 (namespace lock, own methods, budgets). */
describe('attack review of the issue 11 engine', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    // GNU find/rm handle paths longer than PATH_MAX; node's fs calls do not.
    execFileSync('rm', ['-rf', sandbox.base]);
  });

  /** Temp files anywhere below the share, found by GNU find (works past PATH_MAX). */
  function tempFiles(): string[] {
    const out = execFileSync('find', [sandbox.share, '-name', '.spice-webdav-upload-*'], {
      encoding: 'utf8',
    });
    return out.split('\n').filter((line) => line !== '');
  }

  /** MKCOLs a chain of 250-byte names under /deep until one more level would pass `limit` bytes of real path. */
  async function deepChain(limit: number): Promise<string> {
    const name = 'n'.repeat(250);
    let guestPath = '/deep';
    let realLength = sandbox.share.length + guestPath.length;
    expect((await davRequest(engine, { method: 'MKCOL', path: guestPath })).status).toBe(201);
    while (realLength + 1 + name.length <= limit) {
      guestPath += `/${name}`;
      realLength += 1 + name.length;
      expect((await davRequest(engine, { method: 'MKCOL', path: guestPath })).status).toBe(201);
    }
    return guestPath;
  }

  it('MOVE of a folder past PATH_MAX cannot strand an upload temp file', async () => {
    await writeFiles(sandbox.share, { 'up/old.txt': 'old' });
    // Deep enough that "<chain>/up" still resolves but its temp file's path is longer than PATH_MAX.
    const chain = await deepChain(4095 - '/up'.length - 1);
    const { response, finish: sendRest } = startTwoPartPut(engine, '/up/new.txt', 'first half ');
    while (tempFiles().length === 0) await new Promise((resolve) => setImmediate(resolve));
    const move = await davRequest(engine, {
      method: 'MOVE',
      path: '/up',
      headers: { Destination: `${chain}/up` },
    });
    sendRest('second half');
    const put = await response;
    expect(put.status).toBeLessThan(500);
    expect(move.status).toBeLessThan(500);
    expect(tempFiles()).toEqual([]);
  });

  it('COPY of a folder to where its paths pass PATH_MAX is refused cleanly and leaves nothing', async () => {
    const inner = 'i'.repeat(250);
    expect((await davRequest(engine, { method: 'MKCOL', path: '/src' })).status).toBe(201);
    expect((await davRequest(engine, { method: 'MKCOL', path: `/src/${inner}` })).status).toBe(201);
    const chain = await deepChain(4095 - '/c'.length - 1);
    const copy = await davRequest(engine, {
      method: 'COPY',
      path: '/src',
      headers: { Destination: `${chain}/c` },
    });
    expect(copy.status).toBeGreaterThanOrEqual(400);
    expect(copy.status).toBeLessThan(500);
    expect(tempFiles()).toEqual([]);
    const below = execFileSync('find', [sandbox.share, '-name', inner], { encoding: 'utf8' });
    expect(below.split('\n').filter((line) => line !== '')).toHaveLength(1);
  });

  it('a flood of pipelined requests on one connection is not all parsed and held at once', async () => {
    const flood = 5000;
    const client = connect(engine);
    client.on('error', () => undefined);
    let answers = 0;
    const over = new Promise<void>((resolve) => {
      client.on('data', (chunk: Buffer) => {
        answers += (chunk.toString('latin1').match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
        if (answers >= flood) resolve();
      });
      client.on('close', () => resolve());
    });
    client.write('OPTIONS / HTTP/1.1\r\nHost: localhost:9843\r\n\r\n'.repeat(flood));
    await over;
    client.destroy();
    expect(answers).toBeLessThanOrEqual(MAX_PIPELINED_REQUESTS);
    expect((await davRequest(engine, { method: 'OPTIONS', path: '/' })).status).toBe(200);
  });
});
