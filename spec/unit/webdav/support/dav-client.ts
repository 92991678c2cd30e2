import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebdavEngine } from '../../../../src/webdav';
import { duplexPair } from './duplex-pair';

export interface DavResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface DavRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

/** Opens a fresh in-memory connection served by the engine and returns the client end. */
export function connect(engine: WebdavEngine): Duplex {
  const [client, server] = duplexPair();
  engine.serve(server);
  return client;
}

/** One request over a fresh in-memory connection (node:http does the HTTP). */
export function davRequest(engine: WebdavEngine, request: DavRequest): Promise<DavResponse> {
  return sendOver(() => connect(engine), request);
}

/**
 * A minimal keep-alive client: requests go one after another over ONE in-memory connection; responses are
 * framed by Content-Length (the engine sends it for all but PROPFIND listings over 1 MiB, which are chunked).
 */
export function keepAliveClient(engine: WebdavEngine): {
  request(request: DavRequest): Promise<DavResponse>;
  connection: Duplex;
  close(): void;
} {
  const connection = connect(engine);
  let buffered = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  connection.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiter?.();
  });
  connection.on('error', () => undefined);
  const nextResponse = (isHead: boolean) =>
    new Promise<DavResponse>((resolve) => {
      const tryParse = () => {
        const headerEnd = buffered.indexOf('\r\n\r\n');
        if (headerEnd === -1) return;
        const lines = buffered.subarray(0, headerEnd).toString('latin1').split('\r\n');
        const headers: http.IncomingHttpHeaders = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const status = Number(lines[0]?.split(' ')[1]);
        const length =
          isHead || status === 304 || status === 204 ? 0 : Number(headers['content-length'] ?? 0);
        if (buffered.length < headerEnd + 4 + length) return;
        const body = buffered.subarray(headerEnd + 4, headerEnd + 4 + length);
        buffered = buffered.subarray(headerEnd + 4 + length);
        waiter = undefined;
        resolve({ status, headers, body: Buffer.from(body) });
      };
      waiter = tryParse;
      tryParse();
    });
  return {
    request: (request) => {
      const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
      const headerLines = Object.entries({
        Host: 'localhost:9843',
        'Content-Length': body.length,
        ...request.headers,
      })
        .map(([name, value]) => `${name}: ${String(value)}`)
        .join('\r\n');
      connection.write(
        Buffer.concat([
          Buffer.from(`${request.method} ${request.path} HTTP/1.1\r\n${headerLines}\r\n\r\n`),
          body,
        ]),
      );
      return nextResponse(request.method === 'HEAD');
    },
    connection,
    close: () => connection.destroy(),
  };
}

/**
 * A PUT whose body is sent in two parts: `first` at once, the rest only when `finish` is called. Chunked
 * unless `headers` give a Content-Length.
 */
export function startTwoPartPut(
  engine: WebdavEngine,
  path: string,
  first: string,
  headers: http.OutgoingHttpHeaders = {},
): { readonly response: Promise<DavResponse>; readonly finish: (rest: string) => void } {
  let finish: (rest: string) => void = () => undefined;
  const response = new Promise<DavResponse>((resolve, reject) => {
    const req = http.request(
      {
        method: 'PUT',
        path,
        host: 'localhost',
        port: 9843,
        headers,
        createConnection: () => connect(engine),
      },
      (res) => collectResponse(res, resolve, reject),
    );
    req.on('error', reject);
    req.write(first);
    finish = (rest) => req.end(rest);
  });
  return { response, finish };
}

function collectResponse(
  res: http.IncomingMessage,
  resolve: (response: DavResponse) => void,
  reject: (error: Error) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () =>
    resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
  );
  res.on('error', reject);
}

function sendOver(create: () => Duplex, request: DavRequest): Promise<DavResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: request.method,
        path: request.path,
        host: 'localhost',
        port: 9843,
        headers: request.headers,
        createConnection: create,
      },
      (res) => collectResponse(res, resolve, reject),
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Writes raw bytes on a fresh connection and collects everything until the server closes or `until` holds. */
export function rawExchange(
  engine: WebdavEngine,
  raw: string | Buffer,
  until: (received: string) => boolean,
): Promise<string> {
  const client = connect(engine);
  return new Promise((resolve) => {
    let received = '';
    const finish = () => {
      client.destroy();
      resolve(received);
    };
    client.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (until(received)) finish();
    });
    client.on('close', () => resolve(received));
    client.on('error', () => undefined);
    client.write(raw);
  });
}

/** Whether `received` holds one whole answer: its headers and the Content-Length bytes after them. */
export function oneWholeAnswer(received: string): boolean {
  const head = /^HTTP\/1\.1 [^]*?\r\n\r\n/.exec(received);
  const length = /Content-Length: (\d+)/i.exec(head?.[0] ?? '');
  return head !== null && received.length >= head[0].length + Number(length?.[1] ?? 0);
}

export function statusesIn(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
}

/** `body` in HTTP/1.1 chunked encoding, one byte per chunk, with the last chunk: a hostile guest's body. */
export function oneBytePerChunk(body: Buffer): Buffer {
  const wire = Buffer.alloc(body.length * 6 + 5);
  let at = 0;
  for (const byte of body) {
    at += wire.write('1\r\n', at, 'latin1');
    wire[at++] = byte;
    at += wire.write('\r\n', at, 'latin1');
  }
  wire.write('0\r\n\r\n', at, 'latin1');
  return wire;
}
