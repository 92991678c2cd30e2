import { ConnectionHost, sendText } from './connection-host';
import { resolveEngineOptions, type EngineOptions, type WebdavEngine } from './types';

/**
 * The engine in place while nothing is shared: every request gets 503 with a short text body saying why.
 * The request body is discarded by Node after the answer, so keep-alive keeps working and nothing hangs.
 */
export function createUnavailableEngine(reason: string, options?: EngineOptions): WebdavEngine {
  const text = `No folder is shared right now: ${reason}\n`;
  const settings = resolveEngineOptions(options);
  const host = new ConnectionHost(
    async (req, res) => {
      // The body is not needed; close the connection if it is large rather than reading it all.
      const declared = Number(req.headers['content-length'] ?? 0);
      const extra = declared > 64 * 1024 || req.headers['transfer-encoding'] ? { Connection: 'close' } : {};
      sendText(res, 503, text, { 'Retry-After': '5', ...extra });
    },
    { settings },
  );
  return {
    share: { root: '', readOnly: true },
    serve: (connection) => host.serve(connection),
    onRequest: (listener) => host.onRequest(listener),
    close: () => host.close(),
    retire: () => host.retire(settings.retireGraceMs),
  };
}
