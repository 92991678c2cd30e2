import type { Duplex } from 'node:stream';

/** The host folder being shared, and whether the guest may change it. */
export interface ShareConfig {
  readonly root: string;
  readonly readOnly: boolean;
}

/** One finished request, for logs and events (the engine itself never logs). */
export interface RequestRecord {
  readonly method: string;
  /** The decoded, normalised path inside the share ('/' for the root), or the raw target if it was refused. */
  readonly path: string;
  /** The status sent, or 0 when the connection closed before an answer was (the client gave up). */
  readonly status: number;
  /** Request body bytes the engine consumed. */
  readonly bytesIn: number;
  /** Response body bytes the engine wrote. */
  readonly bytesOut: number;
  readonly ms: number;
}

export interface WebdavEngine {
  readonly share: ShareConfig;
  /** Serve one HTTP/1.1 connection over the duplex until either side ends it. */
  serve(connection: Duplex): void;
  /** Observe each finished request (for logs/events). Returns the unsubscribe function. */
  onRequest(listener: (record: RequestRecord) => void): () => void;
  /** Ends every connection the engine serves; later `serve` calls destroy the duplex at once. */
  close(): Promise<void>;
  /**
   * What a share that is replaced or stopped does: no more connections, every one ended, except that an answer
   * already being sent (a download, a listing) finishes, for at most `retireGraceMs`; nothing else is acted
   * on. Resolves once every connection has closed. Optional for engines an embedder supplies: without it,
   * `close()` is used.
   */
  retire?(): Promise<void>;
  /**
   * After `retire()`: resolves once nothing of this engine runs but the downloads and listings it lets finish
   * (no request of a cut connection is still at work), so another engine may change the same folders.
   */
  quiet?(): Promise<void>;
  /**
   * Holds every request that needs a folder's namespace lock until `until` settles: a new share waits so for
   * the engine it replaces to be quiet, since each engine has its own lock and temp-file registry.
   */
  holdUntil?(until: Promise<void>): void;
}

/**
 * What a connection handed to `serve` may offer to learn, once the engine has ended it, whether that was in the
 * middle of a request (its head or body not all received). A stream that outlives the HTTP connection on it,
 * as a mux client's does (spice-webdavd keeps the guest's connection open), must then drop the rest of that
 * request instead of reading it as new requests. The engine registers a question it can answer at any time.
 */
export interface RequestBoundaryWatcher {
  watchRequestBoundary(betweenRequests: () => boolean): void;
}

export function watchesRequestBoundary(connection: object): connection is RequestBoundaryWatcher {
  return typeof (connection as Partial<RequestBoundaryWatcher>).watchRequestBoundary === 'function';
}

export interface EngineOptions {
  /** A connection with no byte moving in either direction for this long is destroyed. Default 10 min. */
  readonly idleTimeoutMs?: number;
  /** A request's header block must complete this long after its first byte arrived. Default 60 s. */
  readonly headersTimeoutMs?: number;
  /** Largest header block Node's parser accepts (431 beyond). Default 16 KiB. */
  readonly maxHeaderBytes?: number;
  /** Largest body accepted for XML methods (PROPFIND, PROPPATCH, LOCK, ...), 413 beyond. Default 1 MiB. */
  readonly maxXmlBodyBytes?: number;
  /** Most paths that may carry dead properties, and most locks, at once (507 beyond). Default 10,000. */
  readonly maxStatefulPaths?: number;
  /** Most entries (files and folders) one COPY may create, and one MOVE of a folder may check. Default 100,000. */
  readonly maxCopyEntries?: number;
  /** Most file bytes one COPY may write. Default 4 GiB. */
  readonly maxCopyBytes?: number;
  /**
   * Where the calls on names and small files run (file-calls.ts): 'auto' (the default) makes them on the
   * event loop where the whole share is on local file systems, else in libuv's thread pool; 'pool' always
   * in the pool.
   */
  readonly fileCalls?: 'auto' | 'pool';
  /**
   * Answer requests whatever name their Host header gives. Default false: only local names (an address,
   * localhost, a one-label name); any other gets 421, since a guest web page could otherwise reach the share
   * by DNS rebinding (local-host-header.ts).
   */
  readonly acceptAnyHost?: boolean;
  /**
   * How long a download or listing already being sent may go on after its share was replaced or stopped
   * (`retire`), before it is cut. Default 30 s.
   */
  readonly retireGraceMs?: number;
  /**
   * An upload temp file (hidden from the guest) that a listing of its folder comes across, that no upload of
   * this engine owns and that nothing has changed for this long, was left by a crash and is removed
   * (stale-temp-files.ts). Default 1 hour; `Infinity` never removes one. Read-only shares are never written.
   * Below the idle timeout, a live upload of another process sharing the same folder could be taken for one.
   */
  readonly staleTempAfterMs?: number;
}

export interface ResolvedEngineOptions {
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxXmlBodyBytes: number;
  readonly maxStatefulPaths: number;
  readonly maxCopyEntries: number;
  readonly maxCopyBytes: number;
  readonly fileCalls: 'auto' | 'pool';
  readonly acceptAnyHost: boolean;
  readonly retireGraceMs: number;
  readonly staleTempAfterMs: number;
}

/**
 * How long an upload temp file must have been left alone before a listing that comes across it removes it. A
 * live upload writes at least once per idle timeout (10 min by default) or is cut, which removes its file; a
 * COPY staging a file writes it continuously. An hour is far past both.
 */
export const DEFAULT_STALE_TEMP_AFTER_MS = 60 * 60_000;

/** How long a download being sent may finish after its share was replaced or stopped. */
export const DEFAULT_RETIRE_GRACE_MS = 30_000;

export function resolveEngineOptions(options: EngineOptions = {}): ResolvedEngineOptions {
  return {
    idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 60_000,
    maxHeaderBytes: options.maxHeaderBytes ?? 16 * 1024,
    maxXmlBodyBytes: options.maxXmlBodyBytes ?? 1024 * 1024,
    maxStatefulPaths: options.maxStatefulPaths ?? 10_000,
    maxCopyEntries: options.maxCopyEntries ?? 100_000,
    maxCopyBytes: options.maxCopyBytes ?? 4 * 1024 ** 3,
    fileCalls: options.fileCalls ?? 'auto',
    acceptAnyHost: options.acceptAnyHost ?? false,
    retireGraceMs: options.retireGraceMs ?? DEFAULT_RETIRE_GRACE_MS,
    staleTempAfterMs: options.staleTempAfterMs ?? DEFAULT_STALE_TEMP_AFTER_MS,
  };
}
