import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import {
  ANSWER_PIECE_BYTES,
  HELD_ANSWER_BYTES,
  heldPieces,
} from '../../../../src/webdav/propfind/streamed-answer';
import { duplexPair } from '../support/duplex-pair';
import { readMultistatus } from '../support/multistatus';
import { makeSandbox, type Sandbox } from '../support/temp-share';

/** What one PROPFIND over one in-memory connection wrote, counted on the engine's side of it. */
interface Counted {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The largest single write the engine made to the connection. */
  readonly largestWrite: number;
  /** The most bytes the engine had written beyond what the guest had received, at any time. */
  readonly mostAhead: number;
}

function countedPropfind(engine: WebdavEngine, depth: string): Promise<Counted> {
  const [client, server] = duplexPair();
  let written = 0;
  let received = 0;
  let largestWrite = 0;
  let mostAhead = 0;
  const write = server.write.bind(server) as (chunk: Buffer | string, ...rest: unknown[]) => boolean;
  (server as Duplex & { write: typeof write }).write = (chunk, ...rest) => {
    const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    written += bytes;
    largestWrite = Math.max(largestWrite, bytes);
    return write(chunk, ...rest);
  };
  client.on('data', (chunk: Buffer) => {
    mostAhead = Math.max(mostAhead, written - received);
    received += chunk.length;
  });
  engine.serve(server);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: 'PROPFIND',
        path: '/',
        host: 'localhost',
        port: 9843,
        headers: { Depth: depth },
        createConnection: () => client,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          client.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            largestWrite,
            mostAhead,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('PROPFIND answers are written in bounded pieces', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const addFiles = (count: number) => {
    for (let i = 0; i < count; i++) writeFileSync(path.join(sandbox.share, `file-${i}.txt`), '');
  };

  it('a listing of 4,000 entries (about 3 MiB) is written in bounded pieces, never whole', async () => {
    addFiles(4000);
    const answer = await countedPropfind(engine, '1');
    expect(answer.status).toBe(207);
    expect(answer.body.length).toBeGreaterThan(2 * HELD_ANSWER_BYTES);
    expect(readMultistatus(answer.body)).toHaveLength(4001);
    expect(answer.headers['content-length']).toBeUndefined();
    // The held-back start leaves in one write, every later piece in ANSWER_PIECE_BYTES; each may overshoot
    // by the one entry that crossed its limit (under 2 KiB here). The old code wrote the whole answer at once.
    expect(answer.largestWrite).toBeLessThanOrEqual(HELD_ANSWER_BYTES + 2048);
    // In flight: at most that first write and one piece besides what the connection's ends buffer (16 KiB each).
    expect(answer.mostAhead).toBeLessThanOrEqual(HELD_ANSWER_BYTES + 2 * ANSWER_PIECE_BYTES);
  }, 60_000);

  it('with every held-back piece of the process taken, a listing goes out in pieces from the start', async () => {
    // Other answers (other connections of a guest that reads nothing) hold the whole budget.
    const others = Array.from({ length: heldPieces.limit }, () => heldPieces.take());
    try {
      expect(heldPieces.take()).toBeUndefined();
      addFiles(1000);
      const answer = await countedPropfind(engine, '1');
      expect(answer.status).toBe(207);
      expect(answer.body.length).toBeLessThan(HELD_ANSWER_BYTES);
      expect(readMultistatus(answer.body)).toHaveLength(1001);
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.largestWrite).toBeLessThanOrEqual(ANSWER_PIECE_BYTES + 2048);
    } finally {
      for (const release of others) release?.();
    }
    // Its own pieces come back when its response is over (its 'close', a turn or so after the guest's end).
    while (heldPieces.inUse > 0) await new Promise(setImmediate);
    expect(heldPieces.inUse).toBe(0);
  }, 60_000);

  it('a small listing is still sent whole, with its Content-Length', async () => {
    addFiles(20);
    const answer = await countedPropfind(engine, '1');
    expect(answer.status).toBe(207);
    expect(answer.headers['content-length']).toBe(String(answer.body.length));
    expect(readMultistatus(answer.body)).toHaveLength(21);
  });
});
