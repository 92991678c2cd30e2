import { probeInProcess } from './process-probe';

/** The headers of an OPTIONS answer that say which WebDAV this server speaks (RFC 4918 §10.1, MS-Author-Via). */
export interface DavCapabilities {
  readonly dav: string;
  readonly msAuthorVia: string;
}

/** What we say if the library cannot be asked: classes 1 and 2 (we implement locking), as it says itself. */
export const FALLBACK_CAPABILITIES: DavCapabilities = { dav: '1, 2', msAuthorVia: 'DAV' };

/** Starting a process and loading the library take about 200 ms; this only bounds a library that hangs. */
const ANSWER_BUDGET_MS = 5_000;

/**
 * The probe, run in a process of its own: webdav-server's own OPTIONS answer for `/` of an empty in-memory file
 * system, on a response object attached to no connection; it prints the two headers we keep.
 */
const PROBE_SOURCE = `
const http = require('node:http');
const { Readable } = require('node:stream');
const { v2: webdav } = require(process.argv[1]);
const library = new webdav.WebDAVServer({ rootFileSystem: new webdav.VirtualFileSystem() });
const request = Object.assign(Readable.from([]), {
  method: 'OPTIONS',
  url: '/',
  headers: { host: 'localhost', 'content-length': '0' },
  httpVersion: '1.1',
});
const response = new http.ServerResponse(request);
const end = response.end.bind(response);
response.end = (...args) => {
  const result = end(...args);
  const answer = { dav: response.getHeader('dav'), msAuthorVia: response.getHeader('ms-author-via') };
  process.stdout.write(JSON.stringify(answer) + '\\n', () => process.exit(0));
  return result;
};
library.executeRequest(request, response);
`;

/**
 * Asks webdav-server, once per process, which DAV compliance classes a server with its engine advertises. The
 * library runs in a Node process of its own (process-probe.ts) and never sees a guest request or the share;
 * only its DAV and MS-Author-Via headers are kept (our dispatch table says Allow; CORS, Server and its Digest
 * challenge are dropped), and only if they look like what they are.
 */
export function davCapabilities(): Promise<DavCapabilities> {
  asked ??= askLibrary(PROBE_SOURCE, ANSWER_BUDGET_MS);
  return asked;
}

let asked: Promise<DavCapabilities> | undefined;

/**
 * Runs a probe (the library's, or a spec's stand-in) and reads its answer, falling back on anything else: the
 * headers go into every OPTIONS answer, so a line break or an endless value must never get through.
 */
export async function askLibrary(source: string, budgetMs: number): Promise<DavCapabilities> {
  let library: string;
  try {
    library = require.resolve('webdav-server');
  } catch {
    return FALLBACK_CAPABILITIES;
  }
  return capabilitiesOf(await probeInProcess(source, [library], budgetMs));
}

function capabilitiesOf(answer: unknown): DavCapabilities {
  if (typeof answer !== 'object' || answer === null) return FALLBACK_CAPABILITIES;
  const { dav, msAuthorVia } = answer as { dav?: unknown; msAuthorVia?: unknown };
  return {
    dav: typeof dav === 'string' && /^[\w ,-]{1,64}$/.test(dav) ? dav : FALLBACK_CAPABILITIES.dav,
    msAuthorVia:
      typeof msAuthorVia === 'string' && /^\w{1,32}$/.test(msAuthorVia)
        ? msAuthorVia
        : FALLBACK_CAPABILITIES.msAuthorVia,
  };
}
