import { promises, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { connect, statusesIn } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';
import { until } from './support/until';

/**
 * A streamed upload (over 64 KiB) that the host's disk cannot take: ENOSPC (a full disk), EDQUOT or EFBIG
 * (a file-size limit) on a write. The guest's program must hear why, as a 507 or 413 it can show, with the
 * old file untouched and no temp file left. Until session 22 the body was destroyed on the failed write,
 * which took the connection down with no answer at all.
 */
describe('an upload the host disk cannot take', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'kept.bin': 'the old content' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  /** Every write of an open file fails with `code`, as the disk would. */
  async function writesFailWith(code: string): Promise<void> {
    const probe = await promises.open(path.join(sandbox.outside, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as { writev: unknown };
    await probe.close();
    jest
      .spyOn(fileHandle as { writev: () => Promise<never> }, 'writev')
      .mockImplementation(() => Promise.reject(Object.assign(new Error(code), { code })));
  }

  it.each([
    ['ENOSPC', 507, /disk is full/],
    ['EDQUOT', 507, /disk is full/],
    ['EFBIG', 413, /larger than the host file system allows/],
  ])('%s: an answer (%s) that says so, and the connection ends after it', async (code, status, message) => {
    await writesFailWith(code);
    const client = connect(engine);
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    let ended = false; // the server ended its side: through the mux, a close frame to the guest
    client.on('end', () => (ended = true));
    client.on('error', () => undefined);
    const size = 4 * 1024 * 1024;
    client.write(`PUT /kept.bin HTTP/1.1\r\nHost: h\r\nContent-Length: ${size}\r\n\r\n`);
    for (let sent = 0; sent < size && !client.destroyed; sent += 64 * 1024)
      client.write(Buffer.alloc(64 * 1024));
    await until(() => statusesIn(received).length > 0 && ended);
    expect(statusesIn(received)).toEqual([status]);
    expect(received).toMatch(/connection: close/i);
    expect(received).toMatch(message);
    expect(readFileSync(path.join(sandbox.share, 'kept.bin'), 'utf8')).toBe('the old content');
    expect(readdirSync(sandbox.share)).toEqual(['kept.bin']);
  });
});
