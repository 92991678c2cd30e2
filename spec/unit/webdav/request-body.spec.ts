import * as http from 'node:http';
import * as net from 'node:net';
import { readSmallBody, type BodyRead } from '../../../src/webdav/request-body';

/** What the server saw of each request: the body read and whether the request's stream had ended by then. */
interface Seen {
  readonly read: BodyRead;
  readonly endedFirst: boolean;
}

/** A server whose handler reads each body with readSmallBody (at most 16 bytes), and a raw client of it. */
async function withServer(run: (send: (raw: string) => Promise<Seen>) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let ended = false;
    req.once('end', () => (ended = true));
    void readSmallBody(req, 16, () => undefined).then((read) => {
      seen.push({ read, endedFirst: ended });
      res.end('ok');
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  let received = '';
  let answered: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    // Each answer is "ok" after its head; one answer per request sent.
    if (received.endsWith('\r\n\r\nok')) {
      received = '';
      answered?.();
    }
  });
  const send = (raw: string): Promise<Seen> =>
    new Promise((done) => {
      answered = () => done(seen[seen.length - 1] as Seen);
      socket.write(raw);
    });
  try {
    await run(send);
  } finally {
    socket.destroy();
    await new Promise((closed) => server.close(closed));
  }
}

const bodyOf = (read: BodyRead): string =>
  read.kind === 'complete' ? read.body.toString('latin1') : read.kind;

describe('readSmallBody', () => {
  it('answers a request that declares no body at once, and the connection serves the next request', () =>
    withServer(async (send) => {
      const none = await send('MKCOL /a/ HTTP/1.1\r\nHost: g\r\n\r\n');
      expect([bodyOf(none.read), none.endedFirst]).toEqual(['', false]);
      const zero = await send('PROPFIND /a/ HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n');
      expect([bodyOf(zero.read), zero.endedFirst]).toEqual(['', false]);
      const after = await send('PUT /b HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\n\r\nhello');
      expect([bodyOf(after.read), after.endedFirst]).toEqual(['hello', true]);
    }));

  it('reads a chunked body to its end, even an empty one', () =>
    withServer(async (send) => {
      const empty = await send(
        'PROPFIND /a/ HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      );
      expect([bodyOf(empty.read), empty.endedFirst]).toEqual(['', true]);
      const two = await send(
        'PROPFIND /a/ HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      );
      expect(bodyOf(two.read)).toBe('abcde');
    }));

  it('refuses a declared or a chunked body over the limit', () =>
    withServer(async (send) => {
      const declared = await send(
        `PUT /b HTTP/1.1\r\nHost: g\r\nContent-Length: 17\r\n\r\n${'x'.repeat(17)}`,
      );
      expect(declared.read.kind).toBe('too-large');
    }).then(() =>
      withServer(async (send) => {
        const chunked = await send(
          `PUT /b HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n${'x'.repeat(17)}\r\n0\r\n\r\n`,
        );
        expect(chunked.read.kind).toBe('too-large');
      }),
    ));
});
