import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { ConnectionHost, sendEmpty, sendText, type Exchange } from './connection-host';
import { davCapabilities, type DavCapabilities } from './dav-capabilities';
import { receiveFile, type UploadRecheck } from './file-upload';
import { serveFile } from './file-response';
import { headerText } from './header-value';
import { CHANGED_SINCE, evaluateConditions, hasConditions } from './http-preconditions';
import { answerLock, answerUnlock, lockDiscoveryXml } from './locks/lock-handlers';
import { LockTable } from './locks/lock-table';
import { hrefOfPath } from './locks/lock-xml';
import { checkPreconditions } from './locks/request-preconditions';
import {
  allowHeader,
  isAllowed,
  methodSpec,
  refusalFor,
  type MethodSpec,
  type ResourceKind,
} from './method-table';
import { copyEntry } from './methods/copy';
import { deleteEntry } from './methods/delete';
import type { MethodOutcome } from './methods/method-outcome';
import { makeFolder } from './methods/mkcol';
import { moveEntry } from './methods/move';
import { MountTable, kindOfLocation, resourceKind, type Mount, type Placement } from './mounts';
import { answerMountsPropfind, answerMountsText } from './mounts-listing';
import { answerProppatch, readPropertyUpdate, refuseProppatch } from './properties/proppatch';
import { answerPropfind, listingTurns, mayList, type PropfindState } from './propfind/answer-propfind';
import { requestGone, type GoneSignal } from './request-gone';
import { readPropfindBody } from './propfind/propfind-request';
import { readSmallBody } from './request-body';
import { holdParsedBody } from './parsed-body-budget';
import { guardRequest, type GuardDecision } from './request-guard';
import { isWithin, type Location } from './path-confinement';
import { displayPath } from './request-target';
import { ResourceStateStore } from './resource-state-store';
import { ShareNamespace } from './share-namespace';
import { overlappingFolders } from './multi-share/share-name';
import { statOrUndefined } from './stat-or-undefined';
import { resolveShareRoot } from './share-root';
import { resolveEngineOptions, type EngineOptions, type ShareConfig, type WebdavEngine } from './types';
import { sendXml } from './xml-response';
import { RecentXmlReads } from './xml/recent-xml-reads';
import { DEFAULT_XML_LIMITS } from './xml/xml-reader';
import type { XmlElement } from './xml/xml-node';

type Accepted = Extract<GuardDecision, { kind: 'accept' }>;
type InMount = Extract<Placement, { kind: 'mount' }>;

/** A request's body as its method uses it: read (an XML root element, or none), or refused (answer sent). */
type Body = { readonly kind: 'read'; readonly root: XmlElement | undefined } | { readonly kind: 'refused' };

/** One request once the table accepted it: its row, the guarded request, where it lands, what it names. */
interface Dispatch {
  readonly spec: MethodSpec;
  readonly request: Accepted;
  readonly placement: Placement;
  readonly kind: ResourceKind | undefined;
  readonly readOnly: boolean;
  readonly preconditions: Extract<Awaited<ReturnType<typeof checkPreconditions>>, { kind: 'proceed' }>;
}

/** The request's own path as resolved under the namespace lock it holds, for its checks and handler to reuse. */
interface Resolved {
  readonly segments: readonly string[];
  readonly location: Location;
}

/** A folder to share, as a mount of an engine: at `/` alone, or at `/NAME/` among others. */
export interface MountSpec {
  readonly name: string | undefined;
  readonly share: ShareConfig;
}

/**
 * The WebDAV engine for one shared folder at `/`. Rejects with an error a user can act on if the root is
 * missing, not a folder, or lacks the needed permissions.
 */
export async function createWebdavEngine(share: ShareConfig, options?: EngineOptions): Promise<WebdavEngine> {
  return createMountedEngine([{ name: undefined, share }], share, options);
}

/**
 * The one WebDAV engine: every request goes through the request guard (target and headers read once), the
 * mount table (which folder, which mode), the If header and lock-token checks, then the dispatch table
 * (method-table.ts), which decides whether the method applies to that resource in that mode and how its
 * handler runs (namespace lock, body). Every XML body is read once, by readXml (saxes, with limits; a small
 * body sent before is remembered: recent-xml-reads.ts); every body is capped in one place. Locks and dead
 * properties are keyed by the whole path from `/`, so hrefs, lock roots and If headers carry a mount's
 * prefix with no rewriting.
 */
export async function createMountedEngine(
  specs: readonly MountSpec[],
  shown: ShareConfig,
  options?: EngineOptions,
): Promise<WebdavEngine> {
  const settings = resolveEngineOptions(options);
  const xmlReads = new RecentXmlReads({ ...DEFAULT_XML_LIMITS, maxBytes: settings.maxXmlBodyBytes });
  const mounts: Mount[] = [];
  for (const spec of specs) {
    const rootReal = await resolveShareRoot(spec.share).catch((error: unknown) => {
      if (spec.name === undefined) throw error;
      throw new Error(`share "${spec.name}": ${error instanceof Error ? error.message : String(error)}`);
    });
    mounts.push({
      name: spec.name,
      readOnly: spec.share.readOnly,
      space: new ShareNamespace(rootReal, spec.share.readOnly, settings.fileCalls, settings.staleTempAfterMs),
    });
  }
  // Checked again here with links resolved: the share list's check saw the paths as written.
  const overlap = overlappingFolders(mounts.map((m) => ({ name: m.name ?? '', folder: m.space.rootReal })));
  if (overlap !== undefined) throw new Error(overlap);
  const single = specs.length === 1 && specs[0]?.name === undefined ? mounts[0] : undefined;
  const table = single === undefined ? MountTable.named(mounts) : MountTable.single(single);
  const stateStore = new ResourceStateStore(settings.maxStatefulPaths);
  const locks = new LockTable(settings.maxStatefulPaths);
  const locate = (segments: readonly string[]) => table.locate(segments);
  const propfindState: PropfindState = {
    deadProperties: (path) => stateStore.properties(path),
    lockDiscoveryXml: (path) => lockDiscoveryXml(locks, path),
  };
  const host = new ConnectionHost((req, res, exchange) => handle(req, res, exchange), { settings });

  async function handle(req: IncomingMessage, res: ServerResponse, exchange: Exchange): Promise<void> {
    const request = guardRequest({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      anyHost: settings.acceptAnyHost,
      hostLines: hostLines(req.rawHeaders),
    });
    if (request.kind === 'reject') {
      if (request.path !== undefined) exchange.describe(request.path);
      return sendText(res, request.status, request.message + '\n');
    }
    exchange.describe(request.path);
    const placement = table.place(request.segments);
    const readOnly = table.isReadOnly(placement);
    const spec = methodSpec(request.method);
    if (spec === undefined) return refuseUnknownMethod(res, request.method, placement, readOnly);
    const start = { spec, request, placement, readOnly };
    // Another folder's Destination is another repository whatever this one allows: a COPY out of a read-only
    // folder into a writable one is a 502 (copy by reading and writing), not "read-only" (403).
    const across =
      request.destination === undefined ? undefined : crossMountRefusal(placement, request.destination);
    if (across !== undefined) return sendText(res, across.status, across.message + '\n');
    if (placement.kind === 'no-mount' && spec.writes) return refuse(res, spec, 'mounts', readOnly);
    if (placement.kind === 'mount' && placement.inner.length > 0) {
      if (spec.route === 'put' && request.trailingSlash)
        return refusePutToFolderName(res, spec, placement, readOnly);
      if (spec.namespaceLock === 'shared' || spec.namespaceLock === 'exclusive')
        return answerUnderLock(req, res, exchange, start, placement, spec.namespaceLock);
      if (spec.namespaceLock === 'phases' && !(spec.writes && readOnly))
        return proceed(req, res, exchange, { ...start, kind: undefined });
    }
    const kind = await resourceKind(placement);
    if (kind !== undefined && !isAllowed(spec, kind, readOnly)) return refuse(res, spec, kind, readOnly);
    if (kind === undefined && spec.writes && readOnly) return refuse(res, spec, 'missing', readOnly);
    return proceed(req, res, exchange, { ...start, kind });
  }

  /**
   * A method that holds the namespace lock around its whole answer (PROPFIND, PROPPATCH, MKCOL, DELETE,
   * COPY, MOVE, LOCK) on a path inside a mount. Its body is read first (never while holding the lock: a guest
   * that sends it slowly must not stall the share), then, under the lock, the path is resolved once: the
   * table's decision and the handler use that one answer. No other guest request can change what the path
   * names in between, since every request that changes names holds the lock alone; so the check and the use
   * cannot be separated, as when the handler resolved again under the lock after an unlocked look.
   */
  async function answerUnderLock(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
    start: Omit<Dispatch, 'kind' | 'preconditions'>,
    placement: InMount,
    mode: 'shared' | 'exclusive',
  ): Promise<void> {
    const { spec, request, readOnly } = start;
    const body = await readBody(req, res, exchange, spec);
    if (body.kind === 'refused') return;
    const lock = placement.mount.space.lock;
    const over = requestGone(res);
    if (spec.route === 'mkcol' && (await refusedWhileShared(res, spec, placement, readOnly, over))) return;
    const task = async (leaveLock: () => void = () => undefined) => {
      const location = await placement.mount.space.locate(placement.inner);
      const kind = await kindOfLocation(location);
      // A file named with a trailing slash is not there (RFC 3986: "a.txt/" is another name than "a.txt"); a
      // MKCOL of it is told the name is taken (405), as without the slash.
      if (kind === 'file' && request.trailingSlash && spec.route !== 'mkcol')
        return sendText(res, 404, 'No such folder: this name is a file (leave out the trailing /).\n');
      if (kind !== undefined && !isAllowed(spec, kind, readOnly)) return refuse(res, spec, kind, readOnly);
      if (kind === undefined && spec.writes && readOnly) return refuse(res, spec, 'missing', readOnly);
      // A LOCK of a free name creates an empty file (RFC 4918 §9.10.4); "name/" names a folder, as for PUT.
      if (kind === 'missing' && spec.route === 'lock' && request.trailingSlash)
        return sendText(
          res,
          409,
          'A name ending in / names a folder: LOCK the file by its name without the slash.\n',
        );
      const resolved = { segments: request.segments, location };
      const checked = await checkRequest(req, res, { ...start, kind }, resolved);
      if (checked === undefined) return;
      return answer(req, res, exchange, checked, placement, body.root, resolved, leaveLock);
    };
    await inListingTurn(req, spec, over, () =>
      mode === 'shared' ? lock.shared(task, over) : lock.exclusive(task, over),
    );
  }

  /**
   * Answers a request the table refuses for what its name holds now (a MKCOL of a name that exists: 405),
   * under the namespace lock held shared; true when answered, or when the request is gone. rclone sends a
   * MKCOL of the folder before every upload into it, and nearly all find it there: taking the lock alone for
   * that answer waited for every request in flight and held back every one after it (a barrier per uploaded
   * file with 4 parallel transfers). No guest request removes or retypes a name while the lock is held
   * shared, so the refusal cannot be overtaken; a name found missing is left to the exclusive path, which
   * looks again.
   */
  async function refusedWhileShared(
    res: ServerResponse,
    spec: MethodSpec,
    placement: InMount,
    readOnly: boolean,
    over: GoneSignal,
  ): Promise<boolean> {
    const answered = await placement.mount.space.lock.shared(async () => {
      const kind = await kindOfLocation(await placement.mount.space.locate(placement.inner));
      if (kind === undefined || kind === 'missing' || isAllowed(spec, kind, readOnly)) return false;
      refuse(res, spec, kind, readOnly);
      return true;
    }, over);
    return answered !== false;
  }

  /**
   * Runs `work` (which takes the namespace lock) in a listing turn when the request is a PROPFIND that may
   * list a folder (Depth other than 0). The turn is taken before the lock, never under it: eight listings
   * stalled by their readers hold every turn, and a ninth waiting for one while holding the shared lock kept
   * every writer, and every request queued behind a writer, waiting as long (an attacker's finding, session
   * 23). A request whose answer is over before its turn comes (its connection gone) gives up waiting.
   */
  async function inListingTurn(
    req: IncomingMessage,
    spec: MethodSpec,
    over: GoneSignal,
    work: () => Promise<unknown>,
  ): Promise<void> {
    if (spec.route !== 'propfind' || !mayList(req.headers)) {
      await work();
      return;
    }
    const endTurn = await listingTurns.acquire(over);
    if (endTurn === undefined) return;
    try {
      await work();
    } finally {
      endTurn();
    }
  }

  /** The rest of a request whose kind the table already judged (or whose handler judges it under its lock). */
  async function proceed(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
    start: Omit<Dispatch, 'preconditions'>,
  ): Promise<void> {
    const dispatch = await checkRequest(req, res, start, undefined);
    if (dispatch === undefined) return;
    const body = await readBody(req, res, exchange, dispatch.spec);
    if (body.kind === 'refused') return;
    const { placement } = dispatch;
    if (placement.kind !== 'mount') return answerOutsideMounts(req, res, dispatch, body.root);
    const space = placement.mount.space;
    const over = requestGone(res);
    switch (dispatch.spec.namespaceLock) {
      case 'shared':
        return inListingTurn(req, dispatch.spec, over, () =>
          space.lock.shared(
            (leaveLock) => answer(req, res, exchange, dispatch, placement, body.root, undefined, leaveLock),
            over,
          ),
        );
      case 'exclusive':
        await space.lock.exclusive(
          () => answer(req, res, exchange, dispatch, placement, body.root, undefined),
          over,
        );
        return;
      case 'phases':
      case 'none':
        return answer(req, res, exchange, dispatch, placement, body.root, undefined);
    }
  }

  /**
   * The checks between the table and the handler: COPY and MOVE stay in one mount, the If header holds and
   * locked resources get their token (412, 423). Undefined once a refusal was sent.
   */
  async function checkRequest(
    req: IncomingMessage,
    res: ServerResponse,
    start: Omit<Dispatch, 'preconditions'>,
    resolved: Resolved | undefined,
  ): Promise<Dispatch | undefined> {
    const { request } = start;
    if (await failsConditions(req, start, resolved)) {
      sendText(res, 412, CHANGED_SINCE + '\n');
      return undefined;
    }
    const preconditions = await checkPreconditions(
      { locks, locate: locateReusing(resolved), sharePath: sharePathIn(start.placement) },
      {
        method: request.method,
        segments: request.segments,
        destination: request.destination,
        ifHeader: headerText(req.headers['if']),
      },
    );
    if (preconditions.kind === 'proceed') return { ...start, preconditions };
    if (preconditions.status === 423) sendXml(res, 423, preconditions.xml);
    else sendText(res, preconditions.status, preconditions.message + '\n');
    return undefined;
  }

  /**
   * HTTP's conditions (If-Match, If-None-Match, If-Unmodified-Since) on any method but GET, HEAD and PUT, which
   * judge them where they read or replace the file; here against the entry as resolved under the lock the
   * method holds (DELETE, COPY, MOVE, ...), so nothing changes between the check and the change.
   */
  async function failsConditions(
    req: IncomingMessage,
    start: Omit<Dispatch, 'preconditions'>,
    resolved: Resolved | undefined,
  ): Promise<boolean> {
    const { spec, placement, request } = start;
    if (spec.route === 'get' || spec.route === 'head' || spec.route === 'put') return false;
    if (placement.kind !== 'mount' || !hasConditions(req.headers)) return false;
    const location = resolved?.location ?? (await locate(request.segments));
    const current =
      location.kind === 'inside' && location.exists
        ? (location.stats ?? (await statOrUndefined(location.real)))
        : undefined;
    return evaluateConditions(req.headers, current, false) === 'failed';
  }

  /**
   * The If header and the locks judged again, for an upload at the moment it takes effect (under the namespace
   * lock): its body was read or streamed without the lock, and a LOCK taken meanwhile by another client, or
   * a change to what an If header's entity tag names, must stop it as at its start. Before, a PUT begun
   * before another client's LOCK replaced the file that client had locked and written (an attacker's finding,
   * session 28). The first check, before the body, stays: it refuses without reading the body.
   */
  async function preconditionsNow(req: IncomingMessage, dispatch: Dispatch): ReturnType<UploadRecheck> {
    const { request } = dispatch;
    const now = await checkPreconditions(
      { locks, locate, sharePath: sharePathIn(dispatch.placement) },
      {
        method: request.method,
        segments: request.segments,
        ifHeader: headerText(req.headers['if']),
        earlierTags: dispatch.preconditions.otherTags,
      },
    );
    if (now.kind === 'proceed') return undefined;
    return now.status === 423
      ? { kind: 'refused', status: 423, message: 'The file was locked meanwhile.', xml: now.xml }
      : { kind: 'refused', status: now.status, message: now.message };
  }

  /** `locate`, except that the request's own path is answered by its resolution under the lock it holds. */
  function locateReusing(resolved: Resolved | undefined): (segments: readonly string[]) => Promise<Location> {
    if (resolved === undefined) return locate;
    return (segments) =>
      sameSegments(segments, resolved.segments) ? Promise.resolve(resolved.location) : locate(segments);
  }

  /**
   * The answer of a method the table accepted for a path inside a mount. `leaveLock` gives up the namespace
   * lock the answer runs under before it ends (PROPFIND, once it only waits for the guest to read).
   */
  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
    dispatch: Dispatch,
    placement: InMount,
    xml: XmlElement | undefined,
    resolved: Resolved | undefined,
    leaveLock: () => void = () => undefined,
  ): Promise<void> {
    const { request, spec } = dispatch;
    const space = placement.mount.space;
    const locateHere = locateReusing(resolved);
    switch (spec.route) {
      case 'options':
        return answerOptions(res, dispatch);
      case 'get':
      case 'head':
        return serveFile(req, res, space, placement.inner, request.trailingSlash);
      case 'put':
        return receiveFile(req, res, space, placement.inner, exchange.consumed, () =>
          preconditionsNow(req, dispatch),
        );
      case 'propfind': {
        const propfind = readPropfindBody(xml);
        if (propfind.kind === 'invalid')
          return sendText(res, 400, `Invalid PROPFIND body: ${propfind.reason}.\n`);
        const input = {
          rootReal: space.rootReal,
          segments: request.segments,
          headers: req.headers,
          request: propfind,
          locate: locateHere,
          calls: space.calls,
          state: propfindState,
          leaveLock,
          noticeTempName: (folderReal: string, name: string) => space.leftTemps.noticed(folderReal, name),
        };
        return answerPropfind(input, res);
      }
      case 'lock': {
        const { lists, submitted } = dispatch.preconditions;
        const input = {
          segments: request.segments,
          headers: req.headers,
          body: xml,
          ifLists: lists,
          submitted,
        };
        return answerLock({ locks, locate: locateHere }, input, res);
      }
      case 'unlock':
        return answerUnlock({ locks, locate }, request.segments, req.headers, res);
      case 'proppatch': {
        const update = readPropertyUpdate(xml);
        if (update.kind === 'invalid') return refuseProppatch(res, update.reason);
        const location = await locateHere(request.segments);
        if (location.kind !== 'inside' || !location.exists)
          return sendText(res, 404, 'No such file or folder in the share.\n');
        const path = displayPath(request.segments);
        const target = { path, href: hrefOfPath(path), real: location.real };
        return answerProppatch(stateStore, target, update.operations, res);
      }
      case 'mkcol':
      case 'delete':
      case 'copy':
      case 'move':
        return changeNamespace(res, dispatch, placement, await locateHere(request.segments));
    }
  }

  /** The virtual root of several folders, and names under it that are no folder: listed, never changed. */
  async function answerOutsideMounts(
    req: IncomingMessage,
    res: ServerResponse,
    dispatch: Dispatch,
    xml: XmlElement | undefined,
  ): Promise<void> {
    switch (dispatch.spec.route) {
      case 'options':
        return answerOptions(res, dispatch);
      case 'get':
      case 'head':
        return answerMountsText(res, mounts);
      case 'propfind': {
        const propfind = readPropfindBody(xml);
        if (propfind.kind === 'invalid')
          return sendText(res, 400, `Invalid PROPFIND body: ${propfind.reason}.\n`);
        return answerMountsPropfind(res, mounts, headerText(req.headers['depth']));
      }
      default:
        return refuse(res, dispatch.spec, 'mounts', true);
    }
  }

  /** The library is asked on the first OPTIONS, not at start: loading it is a third of a cold start's CPU. */
  async function answerOptions(res: ServerResponse, dispatch: Dispatch): Promise<void> {
    const capabilities = await davCapabilities();
    res.writeHead(200, optionsHeaders(capabilities, dispatch.kind ?? 'missing', dispatch.readOnly));
    res.end();
  }

  /** MKCOL, DELETE, COPY and MOVE, under the mount's namespace lock held exclusively. */
  async function changeNamespace(
    res: ServerResponse,
    dispatch: Dispatch,
    placement: InMount,
    location: Location,
  ): Promise<void> {
    let gone = false;
    res.once('close', () => (gone = true));
    const result = await runNamespaceMethod(dispatch, placement, location, () => gone);
    if (result.status >= 200 && result.status < 300) afterNamespaceChange(dispatch.request);
    if (result.message === undefined) return sendEmpty(res, result.status);
    // A 405 here means the name changed kind since the table looked (MKCOL raced a PUT): say what it is now.
    const now = result.status === 405 ? ((await resourceKind(placement)) ?? 'missing') : undefined;
    const extra = now === undefined ? {} : { Allow: allowHeader(now, dispatch.readOnly) };
    sendText(res, result.status, result.message + '\n', extra);
  }

  function runNamespaceMethod(
    dispatch: Dispatch,
    placement: InMount,
    location: Location,
    cancelled: () => boolean,
  ): Promise<MethodOutcome> {
    const { request } = dispatch;
    const space = placement.mount.space;
    const segments = placement.inner;
    // crossMountRefusal (in handle) made sure the Destination lies in the same mount, below its root.
    const destination = request.destination?.slice(request.segments.length - segments.length) ?? [];
    const overwrite = headerText(request.headers['overwrite']) !== 'F';
    const destinationTrailingSlash = request.destinationTrailingSlash === true;
    const depth = headerText(request.headers['depth'])?.trim().toLowerCase();
    // RFC 4918 §9.6.1, §9.9.2: a DELETE or MOVE of a folder acts on all of it; a client that asks for less
    // (Depth 0 or 1) is told so, as Apache's mod_dav does, rather than have the whole tree go.
    const wholeTree = dispatch.spec.route === 'delete' || dispatch.spec.route === 'move';
    const folder = location.kind === 'inside' && location.stats?.isDirectory() === true;
    if (wholeTree && folder && depth !== undefined && depth !== 'infinity')
      return Promise.resolve({
        status: 400,
        message: `A ${request.method} of a folder acts on everything in it: send Depth: infinity, or no Depth.`,
      });
    switch (dispatch.spec.route) {
      case 'mkcol':
        return makeFolder(location);
      case 'delete':
        return deleteEntry(space, location);
      case 'move':
        return moveEntry(
          space,
          { segments, destination, overwrite, destinationTrailingSlash },
          { maxEntries: settings.maxCopyEntries, cancelled },
        );
      default: {
        if (depth !== undefined && depth !== '0' && depth !== 'infinity')
          return Promise.resolve({ status: 400, message: 'A COPY Depth must be 0 or infinity.' });
        return copyEntry(
          space,
          { segments, destination, overwrite, destinationTrailingSlash, deep: depth !== '0' },
          { maxEntries: settings.maxCopyEntries, maxBytes: settings.maxCopyBytes, cancelled },
        );
      }
    }
  }

  /** Keeps locks and dead properties in step with what DELETE, MOVE and COPY did to the files. */
  function afterNamespaceChange(request: Accepted): void {
    const from = displayPath(request.segments);
    const to = request.destination === undefined ? undefined : displayPath(request.destination);
    if (request.method === 'DELETE') {
      locks.forgetTree(from);
      stateStore.forgetTree(from);
    }
    if (request.method === 'MOVE' && to !== undefined) {
      locks.forgetTree(from);
      stateStore.moveTree(from, to);
    }
    if (request.method === 'COPY' && to !== undefined) {
      const depth = headerText(request.headers['depth'])?.trim();
      stateStore.copyTree(from, to, depth !== '0');
    }
  }

  /**
   * The body as the method uses it, read in this one place: streamed by its handler (PUT), none, or read
   * within maxXmlBodyBytes (413 beyond) and, for XML methods, parsed by the limited reader (400 or 413). A
   * body of whitespace only counts as none.
   */
  async function readBody(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
    spec: MethodSpec,
  ): Promise<Body> {
    if (spec.body === 'stream' || spec.body === 'none') return { kind: 'read', root: undefined };
    const read = await readSmallBody(req, settings.maxXmlBodyBytes, exchange.consumed, requestGone(res));
    if (read.kind === 'too-large') {
      sendText(res, 413, `The request body is larger than ${settings.maxXmlBodyBytes} bytes.\n`, {
        Connection: 'close',
      });
      return { kind: 'refused' };
    }
    if (read.kind === 'busy') {
      // Other connections hold the budget for large bodies (request-body.ts); the rest of this one is unread.
      refuseBusy(res, 'read', true);
      return { kind: 'refused' };
    }
    if (spec.body === 'empty') {
      if (spec.method === 'MKCOL' && read.body.length > 0) {
        sendText(res, 415, 'MKCOL with a request body is not supported.\n');
        return { kind: 'refused' };
      }
      return { kind: 'read', root: undefined };
    }
    if (isBlank(read.body)) return { kind: 'read', root: undefined };
    const xml = xmlReads.read(read.body);
    if (xml.kind === 'ok') {
      if (holdParsedBody(xml.root, read.body.length, requestGone(res)))
        return { kind: 'read', root: xml.root };
      refuseBusy(res, 'handled', false);
      return { kind: 'refused' };
    }
    const status = xml.kind === 'over-limit' ? xml.status : 400;
    const advice =
      xml.kind === 'over-limit' ? 'Send a smaller, simpler body.' : 'Send well-formed XML in UTF-8.';
    sendText(res, status, `Invalid XML request body: ${xml.reason}. ${advice}\n`);
    return { kind: 'refused' };
  }

  /** A method not in the table: 403 where nothing may change, 405 for POST (a known HTTP method), else 501. */
  async function refuseUnknownMethod(
    res: ServerResponse,
    method: string,
    placement: Placement,
    readOnly: boolean,
  ): Promise<void> {
    if (!readOnly && method !== 'POST') return sendText(res, 501, `${method} is not supported here.\n`);
    const kind = (await resourceKind(placement)) ?? 'missing';
    const allow = { Allow: allowHeader(kind, readOnly) };
    if (readOnly) {
      const why = placement.kind === 'mount' ? 'This folder is shared read-only' : 'The top level is fixed';
      return sendText(res, 403, `${why}: ${method} is not allowed.\n`, allow);
    }
    return sendText(res, 405, `${method} is not supported here.\n`, allow);
  }

  function stopSweeping(): void {
    for (const mount of mounts) mount.space.leftTemps.stop();
  }

  return {
    share: shown,
    serve: (connection) => host.serve(connection),
    onRequest: (listener) => host.onRequest(listener),
    close: () => {
      stopSweeping();
      return host.close();
    },
    retire: () => {
      stopSweeping();
      return host.retire(settings.retireGraceMs);
    },
    quiet: () => host.quiet(),
    holdUntil: (until) => {
      for (const mount of mounts) void mount.space.lock.exclusive(() => until.catch(() => undefined));
    },
  };
}

/**
 * 503 for a body the shared budget of bodies held whole cannot take (request-body.ts, parsed-body-budget.ts):
 * one being `read` leaves its rest unread, so the connection ends after the answer.
 */
function refuseBusy(res: ServerResponse, stage: 'read' | 'handled', closeConnection: boolean): void {
  sendText(
    res,
    503,
    `Too many large request bodies are being ${stage} at once; send this one again later.\n`,
    {
      ...(closeConnection ? { Connection: 'close' } : {}),
      'Retry-After': '5',
    },
  );
}

/**
 * A PUT to a name ending in `/`, which names a folder: one that exists is refused as the table refuses a PUT
 * to a folder (405; on a read-only share every PUT is 403), and for any other name the file would be written
 * under the name without the slash, which is not what was asked: 409. Nothing is written either way.
 */
async function refusePutToFolderName(
  res: ServerResponse,
  spec: MethodSpec,
  placement: Placement,
  readOnly: boolean,
): Promise<void> {
  const kind = await resourceKind(placement);
  if (kind === 'folder' || readOnly) return refuse(res, spec, kind ?? 'missing', readOnly);
  sendText(res, 409, 'A name ending in / names a folder: PUT the file to its name without the slash.\n');
}

/** The answer of a method the table refuses for this resource: 403, 404 or 405, with the resource's Allow. */
function refuse(res: ServerResponse, spec: MethodSpec, kind: ResourceKind, readOnly: boolean): void {
  const refusal = refusalFor(spec, kind, readOnly);
  sendText(res, refusal.status, refusal.message + '\n', { Allow: allowHeader(kind, readOnly) });
}

/**
 * COPY and MOVE act inside one folder: a Destination in another mount, or at the virtual root, is on
 * another "repository" (RFC 4918 §9.8.5 and §9.9.4: 502), and a mount's root cannot be replaced (403).
 */
function crossMountRefusal(
  placement: Placement,
  destination: readonly string[],
): { readonly status: number; readonly message: string } | undefined {
  if (placement.kind !== 'mount') return undefined;
  const prefix = placement.mount.name === undefined ? [] : [placement.mount.name];
  const sameMount = prefix.every((name, i) => destination[i] === name);
  if (!sameMount || destination.length < prefix.length)
    return {
      status: 502,
      message:
        'The Destination is in another shared folder; copy or move between shared folders on the host, ' +
        'or download and upload the file.',
    };
  if (destination.length === prefix.length)
    return { status: 403, message: 'The Destination cannot be the shared folder itself.' };
  return undefined;
}

function optionsHeaders(
  capabilities: DavCapabilities,
  kind: ResourceKind,
  readOnly: boolean,
): Record<string, string | number> {
  return {
    DAV: capabilities.dav,
    'MS-Author-Via': capabilities.msAuthorVia,
    Allow: allowHeader(kind, readOnly),
    'Content-Length': 0,
  };
}

/**
 * The share path (the mount's name first, if it has one) of a real path inside the folder a request landed
 * in; undefined for a path outside it, or a request at the virtual root.
 */
function sharePathIn(placement: Placement): ((real: string) => string | undefined) | undefined {
  if (placement.kind !== 'mount') return undefined;
  const { name, space } = placement.mount;
  const prefix = name === undefined ? [] : [name];
  return (real) => {
    if (!isWithin(space.rootReal, real)) return undefined;
    const inner = path.relative(space.rootReal, real).split(path.sep);
    return displayPath([...prefix, ...inner.filter((segment) => segment !== '')]);
  };
}

/** How many of the request's header lines are Host (`rawHeaders` alternates names and values). */
function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2)
    if (rawHeaders[index]?.length === 4 && rawHeaders[index]?.toLowerCase() === 'host') count += 1;
  return count;
}

function sameSegments(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
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
