import { ConnectionHost } from '../../../src/webdav/connection-host';
import { resolveEngineOptions, type WebdavEngine } from '../../../src/webdav/types';
import { connect, keepAliveClient } from './support/dav-client';

function engineOver(host: ConnectionHost): WebdavEngine {
  return {
    share: { root: '', readOnly: true },
    serve: (duplex) => host.serve(duplex),
    onRequest: (listener) => host.onRequest(listener),
    close: () => host.close(),
  };
}

describe('a failing request handler', () => {
  let engine: WebdavEngine;
  let mode: 'throw' | 'throw-after-headers' | 'write-twice' | 'ok' = 'ok';

  beforeEach(() => {
    const host = new ConnectionHost(
      async (_req, res) => {
        if (mode === 'throw') throw new Error('handler bug');
        if (mode === 'throw-after-headers') {
          res.writeHead(200, { 'Content-Length': 10 });
          res.write('part');
          throw new Error('failed mid-body');
        }
        if (mode === 'write-twice') {
          res.setHeader('Content-Length', 5);
          res.end('first');
          res.setHeader('X-Late', '1');
          res.writeHead(500);
          res.write('again');
          res.end('again');
          return;
        }
        res.setHeader('Content-Length', 2);
        res.end('ok');
      },
      { settings: resolveEngineOptions({ idleTimeoutMs: 1000 }) },
    );
    engine = engineOver(host);
  });

  afterEach(() => engine.close());

  it('answers 500 and keeps the connection usable', async () => {
    const client = keepAliveClient(engine);
    try {
      mode = 'throw';
      expect((await client.request({ method: 'GET', path: '/' })).status).toBe(500);
      mode = 'ok';
      expect((await client.request({ method: 'GET', path: '/' })).body.toString()).toBe('ok');
    } finally {
      client.close();
    }
  });

  it('resets the connection when the failure comes after the headers went out', async () => {
    mode = 'throw-after-headers';
    const client = connect(engine);
    client.on('error', () => undefined);
    client.on('data', () => undefined);
    client.write('GET / HTTP/1.1\r\nHost: g\r\n\r\n');
    await new Promise((resolve) => client.once('close', resolve));
  });

  it('ignores header and body writes after the response ended', async () => {
    mode = 'write-twice';
    const client = keepAliveClient(engine);
    try {
      const res = await client.request({ method: 'GET', path: '/' });
      expect([res.status, res.body.toString()]).toEqual([200, 'first']);
      expect(res.headers['x-late']).toBeUndefined();
      mode = 'ok';
      expect((await client.request({ method: 'GET', path: '/' })).body.toString()).toBe('ok');
    } finally {
      client.close();
    }
  });
});
