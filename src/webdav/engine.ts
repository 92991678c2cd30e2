import type { IncomingMessage, ServerResponse } from 'node:http';
import { v2 as webdav } from 'webdav-server';
import { ConfinedFileSystem } from './confined-file-system';
import { ConnectionHost, failResponse, sendText, type Exchange } from './connection-host';
import { receiveFile } from './file-upload';
import { serveFile } from './file-response';
import { answerPropfindFast } from './propfind/fast-propfind';
import { READ_ONLY_ALLOW_HEADER } from './read-only-policy';
import { readSmallBody, syntheticRequest } from './request-body';
import { guardRequest, type GuardDecision } from './request-guard';
import { runIsolated } from './request-isolation';
import { ResourceStateStore } from './resource-state-store';
import { resolveShareRoot } from './share-root';
import {
  resolveEngineOptions,
  type EngineOptions,
  type ResolvedEngineOptions,
  type ShareConfig,
  type WebdavEngine,
} from './types';
import { checkXmlBody } from './xml-well-formed';

type Accepted = Extract<GuardDecision, { kind: 'accept' }>;

const XML_METHODS = new Set(['PROPFIND', 'PROPPATCH', 'LOCK']);

/**
 * The WebDAV engine for one shared folder: webdav-server v2 over our ConfinedFileSystem for the WebDAV
 * methods, our own handlers for GET/HEAD/PUT, and the request guard in front of both. Rejects with an
 * error a user can act on if the root is missing, not a folder, or lacks the needed permissions.
 */
export async function createWebdavEngine(share: ShareConfig, options?: EngineOptions): Promise<WebdavEngine> {
  const settings = resolveEngineOptions(options);
  const rootReal = await resolveShareRoot(share);
  const stateStore = new ResourceStateStore(settings.maxStatefulPaths);
  const fileSystem = new ConfinedFileSystem(rootReal, stateStore);
  // Built only for its request engine: never start() it (it would listen on all interfaces).
  const library = new webdav.WebDAVServer({
    rootFileSystem: fileSystem,
    serverName: 'spice-webdav',
    version: '1',
    maxRequestDepth: 1, // PROPFIND Depth: infinity is answered 403, as RFC 4918 §9.1 allows
  });
  const shared: ShareConfig = { root: share.root, readOnly: share.readOnly };
  const host = new ConnectionHost((req, res, exchange) => handle(req, res, exchange), {
    settings,
    overrideHeader: share.readOnly
      ? (name) => (name === 'allow' ? READ_ONLY_ALLOW_HEADER : undefined)
      : undefined,
  });

  async function handle(req: IncomingMessage, res: ServerResponse, exchange: Exchange): Promise<void> {
    const decision = guardRequest(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers },
      share.readOnly,
    );
    if (decision.kind === 'reject') {
      if (decision.path !== undefined) exchange.describe(decision.path);
      return sendText(res, decision.status, decision.message + '\n');
    }
    exchange.describe(decision.path);
    switch (decision.route) {
      case 'get':
      case 'head':
        return serveFile(
          req,
          res,
          await fileSystem.locate(decision.segments),
          decision.segments.at(-1) ?? '',
        );
      case 'put':
        return receiveFile(req, res, await fileSystem.locate(decision.segments), exchange.consumed);
      case 'library':
        return handOver(req, res, decision, exchange, settings);
    }
  }

  async function handOver(
    req: IncomingMessage,
    res: ServerResponse,
    decision: Accepted,
    exchange: Exchange,
    limits: ResolvedEngineOptions,
  ): Promise<void> {
    const read = await readSmallBody(req, limits.maxXmlBodyBytes, exchange.consumed);
    if (read.kind === 'too-large')
      return sendText(res, 413, 'The request body is too large.\n', { Connection: 'close' });
    if (decision.method === 'MKCOL' && read.body.length > 0)
      return sendText(res, 415, 'MKCOL with a request body is not supported.\n');
    if (XML_METHODS.has(decision.method)) {
      const xml = checkXmlBody(read.body.toString('utf8'));
      if (xml.kind === 'invalid') return sendText(res, 400, `Invalid XML request body: ${xml.reason}.\n`);
    }
    // Our own PROPFIND while no dead property or lock exists anywhere (those live in the library's world).
    if (decision.method === 'PROPFIND' && stateStore.size === 0) {
      const input = {
        rootReal,
        segments: decision.segments,
        headers: req.headers,
        body: read.body.toString('utf8'),
      };
      if (await answerPropfindFast({ ...input, locate: (segments) => fileSystem.locate(segments) }, res))
        return;
    }
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      runIsolated(
        () => library.executeRequest(syntheticRequest(req, decision.url, decision.headers, read.body), res),
        () => {
          failResponse(res);
          resolve();
        },
      );
    });
  }

  return {
    share: shared,
    serve: (connection) => host.serve(connection),
    onRequest: (listener) => host.onRequest(listener),
    close: () => host.close(),
  };
}
