import { readdirSync } from 'node:fs';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { oneWholeAnswer as answered, rawExchange, statusesIn } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';

/**
 * WebDAV clients percent-encode a Destination; one typed for curl carries the name's UTF-8 bytes as they are.
 * Node reads header values as latin1, so until session 25 `dést.txt` became `dÃ©st.txt` on the host (a new
 * user's finding).
 */
describe('a Destination header with raw non-ASCII bytes', () => {
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

  const copyTo = (destination: Buffer): Promise<string> =>
    rawExchange(
      engine,
      Buffer.concat([
        Buffer.from('COPY /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nDestination: '),
        destination,
        Buffer.from('\r\n\r\n'),
      ]),
      answered,
    );

  it('is read as UTF-8: the file gets the name the guest typed', async () => {
    for (const name of ['dést.txt', 'ünï.txt', '日本.txt']) {
      const received = await copyTo(Buffer.from(`http://localhost/${name}`, 'utf8'));
      expect(statusesIn(received)).toEqual([201]);
    }
    expect(readdirSync(sandbox.share).sort()).toEqual(['a.txt', 'dést.txt', 'ünï.txt', '日本.txt'].sort());
  });

  it('is a 400 that says what to do when the bytes are not UTF-8', async () => {
    const received = await copyTo(Buffer.from([0x2f, 0x64, 0xe9, 0x2e, 0x74]));
    expect(statusesIn(received)).toEqual([400]);
    expect(received).toContain('not UTF-8');
    expect(readdirSync(sandbox.share)).toEqual(['a.txt']);
  });
});
