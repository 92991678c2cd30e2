import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { isLocalHostHeader, isLocalOrigin } from '../../../src/webdav/local-host-header';
import { oneWholeAnswer as answered, rawExchange, statusesIn } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

describe('isLocalHostHeader', () => {
  it.each([
    undefined,
    '',
    'localhost',
    'localhost:9843',
    'LOCALHOST.',
    'dav.localhost:9843',
    '127.0.0.1:9843',
    '10.0.2.15',
    '[::1]:9843',
    '[fe80::1]',
    'myvm',
    'WIN-GUEST:9843',
    // The loopback names of /etc/hosts on RHEL, Fedora, SUSE, Debian; an empty port; a short address.
    'localhost.localdomain',
    'localhost6.localdomain6:9843',
    'ip6-localhost',
    'localhost:',
    '127.1',
  ])('takes %j: an address, localhost, or a one-label name', (host) => {
    expect(isLocalHostHeader(host)).toBe(true);
  });

  it.each([
    'evil.example',
    'evil.example:9843',
    'attacker.test.',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '[localhost:9843]',
    'localhost:9843:80',
    '[::1',
    '[::1]x',
    'localhost:port',
    'myvm.local',
  ])('refuses %j: a name a web page could make resolve to 127.0.0.1, or a malformed one', (host) => {
    expect(isLocalHostHeader(host)).toBe(false);
  });
});

describe('isLocalOrigin', () => {
  it.each(['http://localhost:9843', 'http://127.0.0.1', 'http://[::1]:9843', 'http://localhost.localdomain'])(
    'takes %j: a page of this machine itself',
    (origin) => expect(isLocalOrigin(origin)).toBe(true),
  );

  // A one-label name is fine as a Host, but as a page's origin LLMNR or NetBIOS may have answered for it.
  it.each(['http://evil.example', 'http://wpad', 'null', 'file://', 'not a url'])('refuses %j', (origin) =>
    expect(isLocalOrigin(origin)).toBe(false),
  );
});

/**
 * A web page in the guest can rebind its own name to 127.0.0.1 and reach spice-webdavd's port with requests its
 * browser sends as same-origin (a new user's finding, session 23: PUT and DELETE under `Host: evil.example`
 * were carried out). Such a Host gets 421 before anything is looked at.
 */
describe('a request addressed to a name that is not local', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a.txt': 'alpha' });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  const request = (host: string) =>
    `DELETE /a.txt HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;

  it('is refused (421), and changes nothing', async () => {
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    const raw = await rawExchange(engine, request('evil.example:9843'), answered);
    expect(statusesIn(raw)).toEqual([421]);
    expect(raw).toContain('addressed to localhost');
    expect(readFileSync(join(sandbox.share, 'a.txt'), 'utf8')).toBe('alpha');
    const kept = await rawExchange(engine, request('localhost:9843'), answered);
    expect(statusesIn(kept)).toEqual([204]);
  });

  it('is refused when the name is in an absolute-form target, whatever the Host header says (421)', async () => {
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    const absolute = (authority: string) =>
      `DELETE http://${authority}/a.txt HTTP/1.1\r\nHost: localhost:9843\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    for (const authority of ['evil.example', 'user@evil.example:9843'])
      expect(statusesIn(await rawExchange(engine, absolute(authority), answered))).toEqual([421]);
    expect(readFileSync(join(sandbox.share, 'a.txt'), 'utf8')).toBe('alpha');
    expect(statusesIn(await rawExchange(engine, absolute('127.0.0.1:9843'), answered))).toEqual([204]);
  });

  it('from a web page of another origin, even under a one-label Host, is refused (403)', async () => {
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
    const fromPage = `DELETE /a.txt HTTP/1.1\r\nHost: wpad:9843\r\nOrigin: http://wpad:9843\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    const raw = await rawExchange(engine, fromPage, answered);
    expect(statusesIn(raw)).toEqual([403]);
    expect(raw).toContain('Requests from web pages are refused');
    expect(readFileSync(join(sandbox.share, 'a.txt'), 'utf8')).toBe('alpha');
  });

  it('is a 400 when the Host is malformed or given twice, whatever names it holds', async () => {
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { acceptAnyHost: true });
    const withHosts = (...hosts: string[]) =>
      `DELETE /a.txt HTTP/1.1\r\n${hosts.map((host) => `Host: ${host}\r\n`).join('')}` +
      'Content-Length: 0\r\nConnection: close\r\n\r\n';
    for (const hosts of [['a/b?c'], ['x<y>"z'], ['[::1'], ['[not-v6]:80'], ['localhost', 'evil.example']]) {
      const raw = await rawExchange(engine, withHosts(...hosts), answered);
      expect({ hosts, statuses: statusesIn(raw) }).toEqual({ hosts, statuses: [400] });
    }
    expect(readFileSync(join(sandbox.share, 'a.txt'), 'utf8')).toBe('alpha');
    expect(statusesIn(await rawExchange(engine, withHosts('[::1]:9843'), answered))).toEqual([204]);
  });

  it('is served when the engine is told to accept any host name', async () => {
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false }, { acceptAnyHost: true });
    expect(statusesIn(await rawExchange(engine, request('dav.example.org'), answered))).toEqual([204]);
  });
});
