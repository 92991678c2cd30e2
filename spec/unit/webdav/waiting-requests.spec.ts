import { existsSync, promises, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { FREE_PARSED_BYTES, parsedBodyBytes } from '../../../src/webdav/parsed-body-budget';
import { largeBodyUnits } from '../../../src/webdav/request-body';
import { readXml } from '../../../src/webdav/xml/xml-reader';
import { connect, davRequest, statusesIn } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';
import { until } from './support/until';

const NS = 'http://example.com/ns/';

/** A PROPPATCH whose body is about `bytes` long (dead properties of up to 128 KiB: a text's limit is 256). */
function proppatchOf(bytes: number): string {
  const values: string[] = [];
  for (let left = bytes, i = 0; left > 0; left -= 128 * 1024, i++)
    values.push(`<Z:big${i}>${'v'.repeat(Math.min(left, 128 * 1024))}</Z:big${i}>`);
  return (
    `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${NS}"><D:set><D:prop>` +
    `${values.join('')}</D:prop></D:set></D:propertyupdate>`
  );
}

function rawRequest(method: string, target: string, body: string, headers = ''): string {
  return (
    `${method} ${target} HTTP/1.1\r\nHost: h\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}

/**
 * Requests wait for the namespace lock after their body is read. A guest could send requests and close
 * their connections, again and again, while a long MOVE held the lock: the queue kept every one, with its body
 * (up to 1 MiB, no longer counted once read), and ran them once the lock was free (an attacker's finding in
 * session 23: 984 MiB after 800 MiB of guest frames against the CLI). Now a waiter whose connection is gone
 * leaves the queue and never acts, and a large body counts against the shared budget until its answer is over.
 */
describe('requests waiting for the namespace lock', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let releaseMove: () => void = () => undefined;

  beforeEach(async () => {
    sandbox = makeSandbox();
    writeFileSync(path.join(sandbox.share, 'slow-src'), 'moved');
    writeFileSync(path.join(sandbox.share, 'target.txt'), 'before');
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    // A MOVE that holds the lock until the spec lets its rename go (a large folder on a slow disk).
    const rename = promises.rename.bind(promises);
    const held = new Promise<void>((resolve) => (releaseMove = resolve));
    jest.spyOn(promises, 'rename').mockImplementation(async (from, to) => {
      if (String(from).endsWith('/slow-src')) await held;
      return rename(from, to);
    });
  });

  afterEach(async () => {
    releaseMove();
    jest.restoreAllMocks();
    await engine.close();
    sandbox.remove();
  });

  /** Starts the MOVE and waits until it holds the lock (its rename has begun). */
  async function holdLock(): Promise<{ move: Promise<number> }> {
    const renamed = jest.mocked(promises.rename);
    const move = davRequest(engine, {
      method: 'MOVE',
      path: '/slow-src',
      headers: { Destination: '/slow-dst' },
    })
      .then((res) => res.status)
      .catch(() => -1); // a failing spec's engine closes under it: that failure, not an unhandled one, is told
    await until(() => renamed.mock.calls.some(([from]) => String(from).endsWith('/slow-src')));
    return { move };
  }

  it('a request whose connection closes while it waits never acts, and lets go of its body', async () => {
    const { move } = await holdLock();
    const budgetBefore = largeBodyUnits.inUse;
    for (let i = 0; i < 20; i++) {
      const connection = connect(engine);
      connection.write(rawRequest('PROPPATCH', '/target.txt', proppatchOf(512 * 1024)));
      connection.write(rawRequest('PUT', '/target.txt', `abandoned ${i}`));
      // Bounded by the test's timeout: the body is read, then the request waits for the lock.
      await until(() => largeBodyUnits.inUse > budgetBefore);
      connection.destroy();
      await until(() => largeBodyUnits.inUse === budgetBefore);
    }

    releaseMove();
    expect(await move).toBe(201);
    // Nothing abandoned took effect: no property stored, the file as it was.
    const found = await davRequest(engine, {
      method: 'PROPFIND',
      path: '/target.txt',
      headers: { Depth: '0' },
      body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="${NS}"><D:prop><Z:big0/></D:prop></D:propfind>`,
    });
    expect(found.body.toString()).toContain('404 Not Found');
    expect((await davRequest(engine, { method: 'GET', path: '/target.txt' })).body.toString()).toBe('before');
    expect(existsSync(path.join(sandbox.share, 'slow-dst'))).toBe(true);
  });

  it('large bodies waiting on live connections count against the shared budget: past it, 503', async () => {
    const { move } = await holdLock();
    // 1 MiB bodies take 15 units of 64 KiB each beyond the free 64 KiB, and their parsed trees, a few nodes
    // larger, 16 (parsed-body-budget.ts): 8 fit the budget of 128.
    const body = proppatchOf(1024 * 1024 - 1024);
    const read = readXml(Buffer.from(body));
    const tree = read.kind === 'ok' ? parsedBodyBytes(read.root) : 0;
    const units = Math.ceil((tree - FREE_PARSED_BYTES) / (64 * 1024));
    expect(units).toBe(16);
    const waiting = Array.from({ length: 9 }, () => connect(engine));
    const answers = waiting.map((connection) => {
      let text = '';
      connection.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      return () => text;
    });
    // One after another, each read whole (and waiting for the lock) before the next is sent.
    for (const [index, connection] of waiting.entries()) {
      connection.write(rawRequest('PROPPATCH', '/target.txt', body));
      if (index < 8) await until(() => largeBodyUnits.inUse === units * (index + 1));
    }
    await until(() => answers.some((text) => text().includes('HTTP/1.1 503')));
    expect(answers[8]?.()).toContain('HTTP/1.1 503');
    expect(answers.filter((text) => text().includes('HTTP/1.1 503'))).toHaveLength(1);

    releaseMove();
    expect(await move).toBe(201);
    // The other 8 are answered (207, or 507 where the dead properties' own budget says no).
    await until(() => answers.filter((text) => statusesIn(text()).length > 0).length === 9);
    expect(answers.filter((text) => text().includes('HTTP/1.1 503'))).toHaveLength(1);
    for (const connection of waiting) connection.destroy();
    await until(() => largeBodyUnits.inUse === 0);
  });
});
