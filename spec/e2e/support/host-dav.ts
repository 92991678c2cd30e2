// HTTP from the host to the guest's spice-webdavd, through QEMU's user-net forward (host 127.0.0.1:<port>
// → guest relay 9844 → 127.0.0.1:9843). The forward's listen backlog is 1: open concurrent connections a
// little apart, or use guestCurl for many at once.

import { request as httpRequest } from 'node:http';

import type { RunningQemu } from '../../../src/edge/qemu/launcher';
import type { HttpResponse } from './http-response';

export interface HostDavRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Default 30 s for the whole exchange. */
  timeoutMs?: number;
}

export function hostDavRequest(qemu: RunningQemu, request: HostDavRequest): Promise<HttpResponse> {
  const port = qemu.webdavForwardPort;
  if (port === undefined) {
    return Promise.reject(
      new Error(
        'hostDavRequest needs the relay forward: start QEMU with startQemu({ guest, forwardGuestRelay: true })',
      ),
    );
  }
  const timeoutMs = request.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method ?? 'GET',
        path: request.path,
        headers: request.headers,
        agent: false, // a fresh connection each time, closed afterwards
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () => {
          clearTimeout(timer);
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers, body, text: body.toString('utf8') });
        });
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy(
        new Error(`hostDavRequest: no complete response within ${timeoutMs} ms: ${request.path}`),
      );
    }, timeoutMs);
    outgoing.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(request.body);
  });
}
