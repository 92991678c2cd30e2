import type { IncomingMessage, ServerResponse } from 'node:http';
import { v2 as webdav } from 'webdav-server';
import { ConfinedFileSystem } from './confined-file-system';
import { ConnectionHost, failResponse, sendText, type Exchange } from './connection-host';
import { receiveFile } from './file-upload';
import { serveFile } from './file-response';
import { headerText } from './header-value';
import { answerLock, answerUnlock, lockDiscoveryXml } from './locks/lock-handlers';
import { LockTable } from './locks/lock-table';
import { checkPreconditions } from './locks/request-preconditions';
import { answerProppatch, readPropertyUpdate, refuseProppatch } from './properties/proppatch';
import { answerPropfindFast, type PropfindState } from './propfind/fast-propfind';
import { READ_ONLY_ALLOW_HEADER } from './read-only-policy';
import { readSmallBody, syntheticRequest } from './request-body';
import { guardRequest, type GuardDecision } from './request-guard';
import { runIsolated } from './request-isolation';
import { copyEntry } from './methods/copy';
import { deleteEntry } from './methods/delete';
import type { MethodOutcome } from './methods/method-outcome';
import { makeFolder } from './methods/mkcol';
import { moveEntry } from './methods/move';
import { ResourceStateStore } from './resource-state-store';
import { ShareNamespace } from './share-namespace';
import { displayPath } from './request-target';
import { resolveShareRoot } from './share-root';
import {
  resolveEngineOptions,
  type EngineOptions,
  type ResolvedEngineOptions,
  type ShareConfig,
  type WebdavEngine,
} from './types';
import { checkXmlBody } from './xml-well-formed';
import { sendXml } from './xml-response';

type Accepted = Extract<GuardDecision, { kind: 'accept' }>;

const XML_METHODS = new Set(['PROPFIND', 'PROPPATCH', 'LOCK']);

/** Methods that change which name means which file: ours, under the share's namespace lock. */
const NAMESPACE_METHODS = new Set(['MKCOL', 'DELETE', 'COPY', 'MOVE']);

/**
 * The WebDAV engine for one shared folder: our own handlers for GET/HEAD/PUT, MKCOL, DELETE, COPY, MOVE,
 * PROPPATCH, LOCK/UNLOCK and (Depth 0/1) PROPFIND, all resolving and acting under the share's namespace lock;
 * webdav-server v2 over our read-only ConfinedFileSystem for the rest (OPTIONS, PROPFIND bodies our fast path
 * declines); and in front of all of them the request guard, then the If header and lock-token checks.
 * Rejects with an error a user can act on if the root is missing, not a folder, or lacks the needed
 * permissions.
 */
export async function createWebdavEngine(share: ShareConfig, options?: EngineOptions): Promise<WebdavEngine> {
  const settings = resolveEngineOptions(options);
  const rootReal = await resolveShareRoot(share);
  const stateStore = new ResourceStateStore(settings.maxStatefulPaths);
  const fileSystem = new ConfinedFileSystem(rootReal);
  const space = new ShareNamespace(rootReal);
  const locks = new LockTable(settings.maxStatefulPaths);
  const locate = (segments: readonly string[]) => space.locate(segments);
  const propfindState: PropfindState = {
    deadProperties: (path) => stateStore.properties(path),
    lockDiscoveryXml: (path) => lockDiscoveryXml(locks, path),
  };
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
    const preconditions = await checkPreconditions(
      { locks, locate },
      {
        method: decision.method,
        segments: decision.segments,
        destination: decision.destination,
        ifHeader: headerText(req.headers['if']),
      },
    );
    if (preconditions.kind === 'failed')
      return preconditions.status === 412
        ? sendText(res, 412, preconditions.message + '\n')
        : sendXml(res, 423, preconditions.xml);
    const path = displayPath(decision.segments);
    switch (decision.route) {
      case 'get':
      case 'head':
        return serveFile(req, res, space, decision.segments);
      case 'put':
        return receiveFile(req, res, space, decision.segments, exchange.consumed);
      case 'unlock':
        return answerUnlock({ locks, locate }, decision.segments, req.headers, res);
      case 'lock': {
        const body = await readXmlBody(req, res, exchange);
        if (body === undefined) return;
        const input = { segments: decision.segments, headers: req.headers, body, ...preconditions };
        // Exclusive: a LOCK of a new name creates an empty file there.
        return space.lock.exclusive(() =>
          answerLock({ locks, locate }, { ...input, ifLists: preconditions.lists }, res),
        );
      }
      case 'proppatch': {
        const body = await readXmlBody(req, res, exchange);
        if (body === undefined) return;
        const update = readPropertyUpdate(body);
        if (update.kind === 'invalid') return refuseProppatch(res, update.reason);
        const location = await locate(decision.segments);
        if (location.kind !== 'inside' || !location.exists)
          return sendText(res, 404, 'No such file or folder in the share.\n');
        return answerProppatch(stateStore, path, decision.url, update.operations, res);
      }
      case 'library':
        if (NAMESPACE_METHODS.has(decision.method)) return changeNamespace(req, res, decision, exchange);
        return handOver(req, res, decision, exchange, settings);
    }
  }

  /** MKCOL, DELETE, COPY and MOVE: ours, each atomic with respect to the guest's other requests. */
  async function changeNamespace(
    req: IncomingMessage,
    res: ServerResponse,
    decision: Accepted,
    exchange: Exchange,
  ): Promise<void> {
    const read = await readSmallBody(req, settings.maxXmlBodyBytes, exchange.consumed);
    if (read.kind === 'too-large')
      return sendText(res, 413, 'The request body is too large.\n', { Connection: 'close' });
    if (decision.method === 'MKCOL' && read.body.length > 0)
      return sendText(res, 415, 'MKCOL with a request body is not supported.\n');
    let gone = false;
    res.once('close', () => (gone = true));
    const result = await runNamespaceMethod(decision, () => gone);
    if (result.status >= 200 && result.status < 300) afterNamespaceChange(decision);
    if (result.message === undefined) {
      res.statusCode = result.status;
      res.setHeader('Content-Length', 0);
      res.end();
      return;
    }
    sendText(res, result.status, result.message + '\n');
  }

  function runNamespaceMethod(decision: Accepted, cancelled: () => boolean): Promise<MethodOutcome> {
    const destination = decision.destination ?? [];
    const overwrite = headerText(decision.headers['overwrite']) !== 'F';
    switch (decision.method) {
      case 'MKCOL':
        return makeFolder(space, decision.segments);
      case 'DELETE':
        return deleteEntry(space, decision.segments);
      case 'MOVE':
        return moveEntry(
          space,
          { segments: decision.segments, destination, overwrite },
          { maxEntries: settings.maxCopyEntries, cancelled },
        );
      default: {
        const depth = headerText(decision.headers['depth'])?.trim().toLowerCase();
        if (depth !== undefined && depth !== '0' && depth !== 'infinity')
          return Promise.resolve({ status: 400, message: 'A COPY Depth must be 0 or infinity.' });
        return copyEntry(
          space,
          { segments: decision.segments, destination, overwrite, deep: depth !== '0' },
          { maxEntries: settings.maxCopyEntries, maxBytes: settings.maxCopyBytes, cancelled },
        );
      }
    }
  }

  /** Keeps locks and dead properties in step with what DELETE, MOVE and COPY did to the files. */
  function afterNamespaceChange(decision: Accepted): void {
    const from = displayPath(decision.segments);
    const to = decision.destination === undefined ? undefined : displayPath(decision.destination);
    if (decision.method === 'DELETE') {
      locks.forgetTree(from);
      stateStore.forgetTree(from);
    }
    if (decision.method === 'MOVE' && to !== undefined) {
      locks.forgetTree(from);
      stateStore.moveTree(from, to);
    }
    if (decision.method === 'COPY' && to !== undefined) {
      const depth = headerText(decision.headers['depth'])?.trim();
      stateStore.copyTree(from, to, depth !== '0');
    }
  }

  /** The body of a PROPPATCH or LOCK, checked to be well-formed; undefined once a 413 or 400 went out. */
  async function readXmlBody(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
  ): Promise<string | undefined> {
    const read = await readSmallBody(req, settings.maxXmlBodyBytes, exchange.consumed);
    if (read.kind === 'too-large') {
      sendText(res, 413, 'The request body is too large.\n', { Connection: 'close' });
      return undefined;
    }
    const text = read.body.toString('utf8');
    const xml = checkXmlBody(text);
    if (xml.kind === 'invalid') {
      sendText(res, 400, `Invalid XML request body: ${xml.reason}.\n`);
      return undefined;
    }
    return text;
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
    if (XML_METHODS.has(decision.method)) {
      const xml = checkXmlBody(read.body.toString('utf8'));
      if (xml.kind === 'invalid') return sendText(res, 400, `Invalid XML request body: ${xml.reason}.\n`);
    }
    // Our own PROPFIND, with the dead properties and locks the library never sees. What it declines (Depth
    // infinity, unusual bodies) the library answers, without dead properties or lock discovery.
    if (decision.method === 'PROPFIND') {
      const input = {
        rootReal,
        segments: decision.segments,
        headers: req.headers,
        body: read.body.toString('utf8'),
        state: propfindState,
      };
      // Shared: no guest MOVE or DELETE changes what a name means while it is resolved and listed.
      if (await space.lock.shared(() => answerPropfindFast({ ...input, locate }, res))) return;
    }
    const answer = () =>
      new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
        runIsolated(
          () => library.executeRequest(syntheticRequest(req, decision.url, decision.headers, read.body), res),
          () => {
            failResponse(res);
            resolve();
          },
        );
      });
    // Shared: the library only reads (stat, list), and no guest MOVE or DELETE runs while it does.
    await space.lock.shared(answer);
  }

  return {
    share: shared,
    serve: (connection) => host.serve(connection),
    onRequest: (listener) => host.onRequest(listener),
    close: () => host.close(),
  };
}
