import * as http from 'node:http';
import { stat } from 'node:fs/promises';
import { ConnectionHost, sendText, type Exchange } from '../connection-host';
import { createWebdavEngine } from '../engine';
import { readSmallBody } from '../request-body';
import { createDuplexPair } from '../session/duplex-pair';
import { resolveEngineOptions, type EngineOptions, type WebdavEngine } from '../types';
import { rootMultistatus, rootText, type ShareEntry } from './root-listing';
import { routeRequest } from './route-request';
import { prefixHrefsInXml, prefixUrl, rewriteDestination, rewriteIfHeader } from './rewrite-urls';
import { checkShareList, type NamedShare } from './share-name';

/** Headers that belong to one hop (the guest's connection), never forwarded to a share's engine or back. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND']);
/** Largest XML answer of a share's engine we rewrite in memory (a PROPFIND of a very large folder). */
const MAX_REWRITTEN_BODY = 64 * 1024 * 1024;

/**
 * Several host folders as top-level folders of one virtual root: `/NAME/...` is served by NAME's own engine
 * (with its own read-only flag), the root itself lists the shares and cannot be changed. Each request is
 * forwarded over a fresh in-memory connection with the share's prefix taken off the path, the Destination and
 * If headers; hrefs and Location headers in the answer get it back.
 * Rejects with an error a user can act on when a name is invalid or a folder cannot be shared.
 */
export async function createMultiShareEngine(
  shares: readonly NamedShare[],
  options?: EngineOptions,
): Promise<WebdavEngine> {
  const problem = checkShareList(shares);
  if (problem !== undefined) throw new Error(`Cannot share these folders: ${problem}.`);
  const settings = resolveEngineOptions(options);
  const created = await Promise.allSettled(
    shares.map((share) => createWebdavEngine({ root: share.path, readOnly: share.readOnly }, options)),
  );
  const failedAt = created.findIndex((result) => result.status === 'rejected');
  if (failedAt !== -1) {
    await Promise.all(created.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    const failure = created[failedAt] as PromiseRejectedResult;
    const reason: unknown = failure.reason;
    throw new Error(
      `share "${shares[failedAt].name}": ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  }
  const engines = new Map<string, WebdavEngine>();
  created.forEach((result, i) => {
    if (result.status === 'fulfilled') engines.set(shares[i].name, result.value);
  });
  const names: ReadonlySet<string> = new Set(engines.keys());

  async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    exchange: Exchange,
  ): Promise<void> {
    const route = routeRequest(req.url ?? '', names);
    exchange.describe(describePath(req.url ?? ''));
    const method = req.method ?? '';
    switch (route.kind) {
      case 'invalid':
        return sendText(res, 400, 'The request target is not a valid path.\n');
      case 'unknown':
        return READ_METHODS.has(method)
          ? sendText(res, 404, `There is no shared folder named "${route.name}".\n`)
          : sendText(res, 403, topLevelIsFixed(shares));
      case 'root':
        return answerRoot(req, res, exchange);
      case 'share': {
        const engine = engines.get(route.name);
        if (engine === undefined)
          return sendText(res, 404, `There is no shared folder named "${route.name}".\n`);
        return forward(req, res, exchange, engine, route.name, route.innerTarget);
      }
    }
  }

  async function answerRoot(req: http.IncomingMessage, res: http.ServerResponse, exchange: Exchange) {
    switch (req.method) {
      case 'OPTIONS':
        res.writeHead(200, {
          DAV: '1, 2',
          'MS-Author-Via': 'DAV',
          Allow: 'OPTIONS, PROPFIND, GET, HEAD',
          'Content-Length': 0,
        });
        res.end();
        return;
      case 'GET':
      case 'HEAD':
        return sendText(res, 200, rootText(shares));
      case 'PROPFIND': {
        const body = await readSmallBody(req, settings.maxXmlBodyBytes, exchange.consumed);
        if (body.kind === 'too-large')
          return sendText(res, 413, 'The request body is too large.\n', { Connection: 'close' });
        const depth = String(req.headers.depth ?? '1')
          .trim()
          .toLowerCase();
        if (depth !== '0' && depth !== '1')
          return sendText(res, 403, 'PROPFIND with Depth: infinity is not supported; use Depth: 1.\n');
        const xml = Buffer.from(rootMultistatus(await shareEntries(shares), depth), 'utf8');
        res.writeHead(207, {
          'Content-Type': 'application/xml; charset=utf-8',
          'Content-Length': xml.length,
        });
        res.end(xml);
        return;
      }
      default:
        return sendText(res, 403, topLevelIsFixed(shares));
    }
  }

  async function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    exchange: Exchange,
    engine: WebdavEngine,
    name: string,
    innerTarget: string,
  ): Promise<void> {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    }
    const destination = firstValue(req.headers.destination);
    if (destination !== undefined) {
      const rewritten = rewriteDestination(destination, name, names);
      if (rewritten.kind === 'invalid')
        return sendText(res, 400, 'The Destination header is not a valid URL.\n');
      if (rewritten.kind === 'elsewhere')
        return sendText(res, 502, 'Copying or moving between two shared folders is not supported.\n');
      headers.destination = rewritten.value;
    }
    const ifHeader = firstValue(req.headers.if);
    if (ifHeader !== undefined) headers.if = rewriteIfHeader(ifHeader, name, names);

    const [clientEnd, serverEnd] = createDuplexPair();
    engine.serve(serverEnd);
    await new Promise<void>((resolve) => {
      const upstream = http.request({
        method: req.method,
        path: innerTarget,
        headers,
        // One in-memory connection per forwarded request; ClientRequest only needs a Duplex here.
        createConnection: () => clientEnd,
      });
      const abandon = (): void => {
        upstream.destroy();
        clientEnd.destroy();
        resolve();
      };
      res.once('close', abandon);
      upstream.on('error', () => {
        if (!res.headersSent)
          sendText(res, 502, `The shared folder "${name}" failed to answer; try again.\n`);
        else res.destroy();
        abandon();
      });
      upstream.on('response', (answer) => {
        const outHeaders = answerHeaders(answer.headers, name);
        const type = String(answer.headers['content-type'] ?? '');
        if (/xml/i.test(type) && req.method !== 'GET' && req.method !== 'HEAD') {
          void relayRewritten(answer, res, outHeaders, name).then(() => clientEnd.destroy());
        } else {
          res.writeHead(answer.statusCode ?? 502, outHeaders);
          answer.pipe(res);
          answer.once('end', () => clientEnd.destroy());
        }
      });
      req.on('data', (chunk: Buffer) => exchange.consumed(chunk.length));
      req.pipe(upstream);
    });
  }

  const host = new ConnectionHost(handle, { settings });
  return {
    share: { root: '', readOnly: shares.every((s) => s.readOnly) },
    serve: (connection) => host.serve(connection),
    onRequest: (listener) => host.onRequest(listener),
    close: async () => {
      await host.close();
      await Promise.all([...engines.values()].map((engine) => engine.close()));
    },
  };
}

/** The engine's answer headers as the guest must see them: hop-by-hop ones dropped, URLs under the prefix. */
function answerHeaders(incoming: http.IncomingHttpHeaders, name: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(key)) continue;
    out[key] = key === 'location' || key === 'content-location' ? prefixUrl(String(value), name) : value;
  }
  return out;
}

/** Reads an XML answer (multistatus, lock discovery), puts the prefix into its hrefs and sends it on. */
async function relayRewritten(
  answer: http.IncomingMessage,
  res: http.ServerResponse,
  headers: http.OutgoingHttpHeaders,
  name: string,
): Promise<void> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of answer) {
    const piece = chunk as Buffer;
    total += piece.length;
    if (total > MAX_REWRITTEN_BODY) {
      res.destroy();
      return;
    }
    chunks.push(piece);
  }
  const body = Buffer.from(prefixHrefsInXml(Buffer.concat(chunks).toString('utf8'), name), 'utf8');
  res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': body.length });
  res.end(body);
}

async function shareEntries(shares: readonly NamedShare[]): Promise<ShareEntry[]> {
  return Promise.all(
    shares.map(async (share) => ({
      share,
      modified: await stat(share.path).then(
        (s) => s.mtime,
        () => undefined,
      ),
    })),
  );
}

function topLevelIsFixed(shares: readonly NamedShare[]): string {
  const names = shares.map((s) => `${s.name}/`).join(', ');
  return `The top level only lists the shared folders (${names}) and cannot be changed: work inside one of them.\n`;
}

/** The decoded path for request records, or the raw target when it does not decode. */
function describePath(target: string): string {
  const path = target.split('?')[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
