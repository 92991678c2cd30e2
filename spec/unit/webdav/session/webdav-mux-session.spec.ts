import { createServer, type Server } from 'node:http';
import { readdirSync } from 'node:fs';
import { Subject } from 'rxjs';
import type { SessionInput, SessionOutput } from '../../../../src/channel/mux-loop/loop-messages';
import { createWebdavEngine, type WebdavEngine } from '../../../../src/webdav';
import { httpSessionFactory, type ConnectionServer } from '../../../../src/webdav/session/webdav-mux-session';
import { makeSandbox, writeFiles, type Sandbox } from '../support/temp-share';

/** A plain HTTP server that never listens; the session hands it the server end of its duplex pair. */
function httpServer(handler: Parameters<typeof createServer>[1]): Server {
  return createServer(handler);
}

const key = { id: '0100000000000000', generation: 1 };
/** Waits for what a spec is about to assert, turn by turn of the event loop (the spec's timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function startSession(server: Server) {
  return startSessionOn({ serve: (d) => server.emit('connection', d) });
}

function startSessionOn(connectionServer: ConnectionServer) {
  const input = new Subject<SessionInput>();
  const outputs: SessionOutput[] = [];
  let completed = false;
  let error: unknown;
  const subscription = httpSessionFactory(() => connectionServer)(key, input).subscribe({
    next: (o) => outputs.push(o),
    complete: () => (completed = true),
    error: (e: unknown) => (error = e),
  });
  const responseText = (): string =>
    Buffer.concat(outputs.flatMap((o) => (o.kind === 'response-data' ? o.frames : []))).toString('latin1');
  return {
    input,
    outputs,
    subscription,
    responseText,
    get completed() {
      return completed;
    },
    get error() {
      return error;
    },
    request: (text: string) =>
      input.next({ kind: 'request-data', pieces: [Buffer.from(text)], bytes: Buffer.byteLength(text) }),
    grant: (chunks: number) => input.next({ kind: 'grant', chunks }),
  };
}

describe('httpSessionFactory', () => {
  it('emits response bytes only against grants (pull), and reports consumed request bytes', async () => {
    let answered = false;
    const server = httpServer((_req, res) => res.end('hello', () => (answered = true)));
    const s = startSession(server);
    s.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => answered);
    expect(s.outputs.filter((o) => o.kind === 'response-data')).toHaveLength(0);
    expect(s.outputs).toContainEqual({ kind: 'request-consumed', bytes: 27 });
    s.grant(1);
    await until(() => s.responseText().endsWith('hello'));
    expect(s.responseText()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
    s.subscription.unsubscribe();
  });

  it('gives revoked credits back, and asks once for a grant when it has something to send again', async () => {
    let answered = false;
    const server = httpServer((_req, res) => res.end('hello', () => (answered = true)));
    const s = startSession(server);
    s.grant(3);
    s.input.next({ kind: 'revoke' });
    expect(s.outputs).toEqual([{ kind: 'credits-returned', chunks: 3 }]);
    s.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => answered && s.outputs.some((o) => o.kind === 'response-waiting'));
    // Nothing is sent on the credits it gave back, and it asks only once.
    expect(s.outputs.filter((o) => o.kind === 'response-waiting')).toHaveLength(1);
    expect(s.outputs.filter((o) => o.kind === 'response-data')).toHaveLength(0);
    s.grant(1);
    await until(() => s.responseText().endsWith('hello'));
    s.subscription.unsubscribe();
  });

  it('answers a revoke with what is left of its grant after the frames it sent', async () => {
    const server = httpServer((_req, res) => res.end('hello'));
    const s = startSession(server);
    s.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    s.grant(4);
    await until(() => s.responseText().endsWith('hello'));
    s.input.next({ kind: 'revoke' });
    expect(s.outputs.at(-1)).toEqual({ kind: 'credits-returned', chunks: 3 });
    s.subscription.unsubscribe();
  });

  it('splits a large response into frames of at most 65535 bytes, one per credit', async () => {
    const body = Buffer.alloc(300_000, 7);
    const server = httpServer((_req, res) => res.end(body));
    const s = startSession(server);
    s.request('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    const frameCount = (): number =>
      s.outputs.reduce((sum, o) => sum + (o.kind === 'response-data' ? o.frames.length : 0), 0);
    s.grant(2);
    await until(() => frameCount() === 2);
    // 300,000 bytes and a head take five credits more; each credit gives exactly one frame.
    for (let i = 0; i < 20 && !s.responseText().endsWith(body.toString('latin1')); i++) {
      const before = frameCount();
      s.grant(1);
      await until(() => frameCount() > before);
      expect(frameCount()).toBe(before + 1);
    }
    const frames = s.outputs.flatMap((o) => (o.kind === 'response-data' ? o.frames : []));
    expect(Math.max(...frames.map((c) => c.length))).toBeLessThanOrEqual(65535);
    expect(s.responseText().endsWith(body.toString('latin1'))).toBe(true);
    s.subscription.unsubscribe();
  });

  it('answers a grant of several credits with one output of that many frames (one loop step, not one per frame)', async () => {
    const body = Buffer.alloc(300_000, 7);
    const server = httpServer((_req, res) => res.end(body));
    const s = startSession(server);
    s.grant(4);
    s.request('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = () => s.outputs.filter((o) => o.kind === 'response-data');
    await until(() => responses().length > 0);
    expect(responses().map((o) => o.frames.length)).toEqual([4]);
    s.subscription.unsubscribe();
  });

  it('serves several requests on one connection (keep-alive) and completes when the server closes it', async () => {
    let n = 0;
    const server = httpServer((req, res) => {
      n += 1;
      if (req.url === '/last') res.setHeader('Connection', 'close');
      res.end(`answer ${n}`);
    });
    const s = startSession(server);
    s.grant(100);
    s.request('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => s.responseText().includes('answer 1'));
    s.request('GET /last HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => s.completed);
    expect(s.responseText()).toContain('answer 1');
    expect(s.responseText()).toContain('answer 2');
    expect(s.completed).toBe(true);
  });

  it('tears the connection down when unsubscribed', async () => {
    let closed = false;
    let requested = false;
    const server = httpServer(() => (requested = true)); // never answers
    server.on('connection', (socket: NodeJS.EventEmitter) => socket.on('close', () => (closed = true)));
    const s = startSession(server);
    s.request('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => requested);
    s.subscription.unsubscribe();
    await until(() => closed);
    expect(closed).toBe(true);
  });
});

/**
 * spice-webdavd keeps the guest's connection open when we end ours, so what the guest sends after it on the
 * same id is the rest of its request when we ended it in the middle of one: the session says so, last.
 */
describe('httpSessionFactory over the engine: where a connection ended', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a.txt': 'alpha' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const endedMidRequest = (outputs: readonly SessionOutput[]): boolean =>
    outputs.some((output) => output.kind === 'ended-mid-request');

  it('in an upload whose body was still arriving: ended mid-request, said last', async () => {
    const s = startSessionOn(engine);
    s.grant(100);
    s.request(
      `PUT /up.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(5000)}`,
    );
    await until(() => readdirSync(sandbox.share).length > 1);
    await engine.close();
    await until(() => s.completed);
    expect(s.outputs.at(-1)).toEqual({ kind: 'ended-mid-request' });
  });

  it('in a request head that was still arriving: ended mid-request', async () => {
    const s = startSessionOn(engine);
    s.grant(100);
    s.request('GET /a.txt HTTP/1.1\r\nHost: loc');
    await until(() => s.outputs.some((output) => output.kind === 'request-consumed'));
    await engine.close();
    await until(() => s.completed);
    expect(endedMidRequest(s.outputs)).toBe(true);
  });

  it('between requests, idle or after a Connection: close answer: not', async () => {
    const idle = startSessionOn(engine);
    idle.grant(100);
    idle.request('GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => idle.responseText().endsWith('alpha'));
    const closing = startSessionOn(engine);
    closing.grant(100);
    closing.request('GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await until(() => closing.completed);
    const untouched = startSessionOn(engine);
    await engine.close();
    await until(() => idle.completed && untouched.completed);
    expect([idle, closing, untouched].map((session) => endedMidRequest(session.outputs))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('after an answer sent before the body (413): ended mid-request, so the body is not read as requests', async () => {
    const s = startSessionOn(engine);
    s.grant(100);
    s.request(`PROPFIND / HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n<a>`);
    await until(() => s.completed);
    expect(s.responseText()).toMatch(/^HTTP\/1\.1 413 /);
    expect(endedMidRequest(s.outputs)).toBe(true);
  });
});
