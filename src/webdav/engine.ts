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
import { answerPropfind, type PropfindState } from './propfind/answer-propfind';
import { readPropfindBody } from './propfind/propfind-request';
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
import { resolveEngineOptions, type EngineOptions, type ShareConfig, type WebdavEngine } from './types';
import { sendXml } from './xml-response';
import { DEFAULT_XML_LIMITS, readXml } from './xml/xml-reader';
import type { XmlElement } from './xml/xml-node';

type Accepted = Extract<GuardDecision, { kind: 'accept' }>;

/** A request's XML body: its root element, none (an empty body), or refused (the answer already went out). */
type XmlBody =
  { readonly kind: 'read'; readonly root: XmlElement | undefined } | { readonly kind: 'refused' };

/** Methods that change which name means which file: ours, under the share's namespace lock. */
const NAMESPACE_METHODS = new Set(['MKCOL', 'DELETE', 'COPY', 'MOVE']);

/**
 * The WebDAV engine for one shared folder: our own handlers for GET/HEAD/PUT, MKCOL, DELETE, COPY, MOVE,
 * PROPFIND (Depth 0/1, any body), PROPPATCH and LOCK/UNLOCK, all resolving and acting under the share's
 * namespace lock; webdav-server v2 over our read-only ConfinedFileSystem for OPTIONS alone; and in front of
 * all of them the request guard, then the If header and lock-token checks. Every XML body is read once, by
 * readXml (saxes, with limits).
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
    maxRequestDepth: 1, // only OPTIONS reaches it; a Depth header should never make it walk the tree
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
      case 'propfind': {
        const body = await readXmlBody(req, res, exchange);
        if (body.kind === 'refused') return;
        const request = readPropfindBody(body.root);
        if (request.kind === 'invalid')
          return sendText(res, 400, `Invalid PROPFIND body: ${request.reason}.\n`);
        const input = { rootReal, segments: decision.segments, headers: req.headers, request, locate };
        // Shared: no guest MOVE or DELETE changes what a name means while it is resolved and listed.
        return space.lock.shared(() => answerPropfind({ ...input, state: propfindState }, res));
      }
      case 'lock': {
        const read = await readXmlBody(req, res, exchange);
        if (read.kind === 'refused') return;
        const input = {
          segments: decision.segments,
          headers: req.headers,
          body: read.root,
          ...preconditions,
        };
        // Exclusive: a LOCK of a new name creates an empty file there.
        return space.lock.exclusive(() =>
          answerLock({ locks, locate }, { ...input, ifLists: preconditions.lists }, res),
        );
      }
      case 'proppatch': {
        const body = await readXmlBody(req, res, exchange);
        if (body.kind === 'refused') return;
        const update = readPropertyUpdate(body.root);
        if (update.kind === 'invalid') return refuseProppatch(res, update.reason);
        // Shared: the file whose times a Win32 PROPPATCH sets stays the one its name resolved to.
        return space.lock.shared(async () => {
          const location = await locate(decision.segments);
          if (location.kind !== 'inside' || !location.exists)
            return sendText(res, 404, 'No such file or folder in the share.\n');
          const target = { path, href: decision.url, real: location.real };
          return answerProppatch(stateStore, target, update.operations, res);
        });
      }
      case 'library':
        if (NAMESPACE_METHODS.has(decision.method)) return changeNamespace(req, res, decision, exchange);
        return handOver(req, res, decision, exchange);
    }
  }

  /** MKCOL, DELETE, COPY and MOVE: ours, each atomic with respect to the guest's other requests. */
  async function changeNamespace(
    req: IncomingMessage,
    res: ServerResponse,
    decision: Accepted,
    exchange: Exchange,
  ): Promise<void> {
    const body = await readBoundedBody(req, res, exchange);
    if (body === undefined) return;
    if (decision.method === 'MKCOL' && body.length > 0)
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

  /** A request body within maxXmlBodyBytes; undefined once the 413 went out. The one place bodies are capped. */
  async function readBoundedBody(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
  ): Promise<Buffer | undefined> {
    const read = await readSmallBody(req, settings.maxXmlBodyBytes, exchange.consumed);
    if (read.kind === 'complete') return read.body;
    sendText(res, 413, `The request body is larger than ${settings.maxXmlBodyBytes} bytes.\n`, {
      Connection: 'close',
    });
    return undefined;
  }

  /**
   * The body of a PROPFIND, PROPPATCH or LOCK, read once by the limited XML reader. A body of whitespace only
   * counts as none. Refused once a 413 or 400 went out.
   */
  async function readXmlBody(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
  ): Promise<XmlBody> {
    const body = await readBoundedBody(req, res, exchange);
    if (body === undefined) return { kind: 'refused' };
    if (isBlank(body)) return { kind: 'read', root: undefined };
    const xml = readXml(body, { ...DEFAULT_XML_LIMITS, maxBytes: settings.maxXmlBodyBytes });
    if (xml.kind === 'ok') return { kind: 'read', root: xml.root };
    const status = xml.kind === 'over-limit' ? xml.status : 400;
    sendText(res, status, `Invalid XML request body: ${xml.reason}. Send a smaller, simpler body.\n`);
    return { kind: 'refused' };
  }

  async function handOver(
    req: IncomingMessage,
    res: ServerResponse,
    decision: Accepted,
    exchange: Exchange,
  ): Promise<void> {
    const body = await readBoundedBody(req, res, exchange);
    if (body === undefined) return;
    const answer = () =>
      new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
        runIsolated(
          () => library.executeRequest(syntheticRequest(req, decision.url, decision.headers, body), res),
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

/** True for an empty body or one of XML whitespace only (and a UTF-8 byte order mark). */
function isBlank(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    if (i === 0 && byte === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}
