import * as http from 'node:http';
import { Readable } from 'node:stream';
import { runIsolated } from './request-isolation';

/** The headers of an OPTIONS answer that say which WebDAV this server speaks (RFC 4918 §10.1, MS-Author-Via). */
export interface DavCapabilities {
  readonly dav: string;
  readonly msAuthorVia: string;
}

/** What we say if the library cannot be asked: classes 1 and 2 (we implement locking), as it says itself. */
const FALLBACK: DavCapabilities = { dav: '1, 2', msAuthorVia: 'DAV' };

/** The library answers at once (an empty file system, no I/O); this only bounds a library that would not. */
const ANSWER_BUDGET_MS = 5_000;

/**
 * Asks webdav-server, once per process, which DAV compliance classes a server with its engine advertises: its own
 * OPTIONS answer for `/` of an empty in-memory file system, on a response object that is attached to no
 * connection. The library never sees a guest request or the share; only its DAV and MS-Author-Via headers
 * are kept (our dispatch table says Allow; CORS, Server and its Digest challenge are dropped).
 */
export function davCapabilities(): Promise<DavCapabilities> {
  asked ??= askLibrary();
  return asked;
}

let asked: Promise<DavCapabilities> | undefined;

function askLibrary(): Promise<DavCapabilities> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (capabilities: DavCapabilities) => {
      if (settled) return;
      settled = true;
      clearTimeout(budget);
      resolve(capabilities);
    };
    const budget = setTimeout(() => settle(FALLBACK), ANSWER_BUDGET_MS);
    runIsolated(
      () => {
        // Loaded here, on first use: the library is a large module tree no other request needs.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { v2: webdav } = require('webdav-server') as typeof import('webdav-server');
        const library = new webdav.WebDAVServer({ rootFileSystem: new webdav.VirtualFileSystem() });
        const request = Object.assign(Readable.from([]), {
          method: 'OPTIONS',
          url: '/',
          headers: { host: 'localhost', 'content-length': '0' },
          httpVersion: '1.1',
        });
        const response = new http.ServerResponse(request as unknown as http.IncomingMessage);
        const end = response.end.bind(response);
        response.end = ((...args: Parameters<typeof response.end>) => {
          const result = end(...args);
          settle(capabilitiesOf(response));
          return result;
        }) as typeof response.end;
        library.executeRequest(request as unknown as http.IncomingMessage, response);
      },
      () => settle(FALLBACK),
    );
  });
}

function capabilitiesOf(response: http.ServerResponse): DavCapabilities {
  const dav = response.getHeader('dav');
  const via = response.getHeader('ms-author-via');
  return {
    dav: typeof dav === 'string' && /^[\w\s,-]+$/.test(dav) ? dav : FALLBACK.dav,
    msAuthorVia: typeof via === 'string' && /^\w+$/.test(via) ? via : FALLBACK.msAuthorVia,
  };
}
