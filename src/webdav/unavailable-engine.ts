import { ConnectionHost, sendText } from './connection-host';
import { resolveEngineOptions, type EngineOptions, type WebdavEngine } from './types';

/**
 * The engine in place while nothing is shared: every request gets 503 with a short text body saying why, and
 * `Connection: close`. Its connections so end after each answer (where their request stood: a body still
 * arriving is dropped by the loop, not read as requests), and the guest's next request on the same id, its
 * daemon keeping the guest's connection, is served by whatever is shared by then.
 */
export function createUnavailableEngine(reason: string, options?: EngineOptions): WebdavEngine {
  const text = `No folder is shared right now: ${reason}\n`;
  const settings = resolveEngineOptions(options);
  const host = new ConnectionHost(
    async (_req, res) => {
      sendText(res, 503, text, { 'Retry-After': '5', Connection: 'close' });
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
