import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { davRequest } from './support/dav-client';
import { makeSandbox, type Sandbox } from './support/temp-share';

/**
 * FIFOs and sockets the host put in a share are not files the guest can see (visibility.ts): reading a FIFO
 * would hang, a socket is someone's live endpoint. The guest must neither see them nor destroy them.
 */
describe('FIFOs and sockets in a share', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let listener: net.Server;

  beforeEach(async () => {
    sandbox = makeSandbox();
    writeFileSync(path.join(sandbox.share, 'f.txt'), 'the guest file');
    mkdirSync(path.join(sandbox.share, 'dir'));
    execFileSync('mkfifo', [path.join(sandbox.share, 'pipe')]);
    listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(path.join(sandbox.share, 'sock'), resolve));
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    await new Promise((resolve) => listener.close(resolve));
    sandbox.remove();
  });

  const kind = (name: string): string => {
    const stats = lstatSync(path.join(sandbox.share, name));
    return stats.isFIFO() ? 'fifo' : stats.isSocket() ? 'socket' : stats.isFile() ? 'file' : 'other';
  };

  it('are not listed, and reading them is a 404', async () => {
    const listing = await davRequest(engine, { method: 'PROPFIND', path: '/', headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    expect(listing.body.toString()).not.toMatch(/pipe|sock/);
    for (const name of ['pipe', 'sock'])
      expect((await davRequest(engine, { method: 'GET', path: `/${name}` })).status).toBe(404);
  });

  it('a PUT, COPY or MOVE onto one is refused, and it stays what it was', async () => {
    expect((await davRequest(engine, { method: 'PUT', path: '/pipe', body: 'x' })).status).toBe(403);
    for (const [method, target] of [
      ['COPY', 'pipe'],
      ['MOVE', 'pipe'],
      ['COPY', 'sock'],
      ['MOVE', 'sock'],
    ] as const) {
      const response = await davRequest(engine, {
        method,
        path: '/f.txt',
        headers: { Destination: `/${target}`, Overwrite: 'T' },
      });
      expect({ method, target, status: response.status }).toEqual({ method, target, status: 403 });
      expect(response.body.toString()).toMatch(/Only regular files and folders can be replaced/);
    }
    const folderMove = await davRequest(engine, {
      method: 'MOVE',
      path: '/dir',
      headers: { Destination: '/sock', Overwrite: 'T' },
    });
    expect(folderMove.status).toBe(403);
    expect([kind('pipe'), kind('sock'), kind('f.txt')]).toEqual(['fifo', 'socket', 'file']);
    expect(readFileSync(path.join(sandbox.share, 'f.txt'), 'utf8')).toBe('the guest file');
    expect(readdirSync(sandbox.share).sort()).toEqual(['dir', 'f.txt', 'pipe', 'sock']);
  });

  it('a LOCK on one is refused as a PUT is, and leaves no lock behind', async () => {
    const lockinfo =
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
      '<D:locktype><D:write/></D:locktype></D:lockinfo>';
    for (const name of ['pipe', 'sock']) {
      const lock = await davRequest(engine, {
        method: 'LOCK',
        path: `/${name}`,
        headers: { 'Content-Type': 'application/xml', Depth: '0' },
        body: lockinfo,
      });
      expect({ name, status: lock.status, token: lock.headers['lock-token'] }).toEqual({
        name,
        status: 403,
        token: undefined,
      });
    }
    // No lock was left on the share's root either: a PUT beside them needs no token.
    expect((await davRequest(engine, { method: 'PUT', path: '/new.txt', body: 'x' })).status).toBe(201);
    expect([kind('pipe'), kind('sock')]).toEqual(['fifo', 'socket']);
  });

  it('a folder that holds one is neither deleted nor replaced, and nothing in it changes', async () => {
    // The host's socket and FIFO sit two levels down, beside a file the guest can see.
    mkdirSync(path.join(sandbox.share, 'home', 'agent'), { recursive: true });
    writeFileSync(path.join(sandbox.share, 'home', 'notes.txt'), 'kept');
    execFileSync('mkfifo', [path.join(sandbox.share, 'home', 'agent', 'pipe')]);
    const agent = net.createServer();
    await new Promise<void>((resolve) =>
      agent.listen(path.join(sandbox.share, 'home', 'agent', 'sock'), resolve),
    );
    try {
      const listing = await davRequest(engine, {
        method: 'PROPFIND',
        path: '/home/agent/',
        headers: { Depth: '1' },
      });
      expect(listing.body.toString()).not.toMatch(/pipe|sock/); // the guest sees an empty folder

      const deleted = await davRequest(engine, { method: 'DELETE', path: '/home' });
      expect(deleted.status).toBe(403);
      expect(deleted.body.toString()).toMatch(/FIFO, socket or device file the share does not show/);
      for (const method of ['COPY', 'MOVE'] as const) {
        const replaced = await davRequest(engine, {
          method,
          path: '/dir',
          headers: { Destination: '/home/agent', Overwrite: 'T' },
        });
        expect({ method, status: replaced.status }).toEqual({ method, status: 403 });
      }
      expect(readdirSync(path.join(sandbox.share, 'home', 'agent')).sort()).toEqual(['pipe', 'sock']);
      expect(readFileSync(path.join(sandbox.share, 'home', 'notes.txt'), 'utf8')).toBe('kept');
      expect(readdirSync(sandbox.share).sort()).toEqual(['dir', 'f.txt', 'home', 'pipe', 'sock']);

      // Without them, the same folder goes as any other.
      agent.close();
      execFileSync('rm', [path.join(sandbox.share, 'home', 'agent', 'pipe')]);
      expect((await davRequest(engine, { method: 'DELETE', path: '/home' })).status).toBe(204);
      expect(readdirSync(sandbox.share).sort()).toEqual(['dir', 'f.txt', 'pipe', 'sock']);
    } finally {
      agent.close();
    }
  });
});
