import type { Duplex } from 'node:stream';
import { type Observable, of, throwError } from 'rxjs';
import type { EngineFactory } from '../../../../../src/edge/sharing/engine-factory';
import type { RequestRecord, WebdavEngine } from '../../../../../src/webdav/types';

/**
 * Engines that serve nothing but say what happens to them: "serve NAME" when a guest connection is handed to
 * one, "close NAME" when it is closed, each with the virtual time. NAME is the shared folder's path.
 * A share of '/gone' fails, as a missing folder does.
 */
export function fakeEngines(now: () => number): { createEngine: EngineFactory; log: string[] } {
  const log: string[] = [];
  const engine = (name: string): WebdavEngine => ({
    share: { root: name, readOnly: false },
    serve: (connection: Duplex) => {
      log.push(`${now()}: serve ${name}`);
      connection.on('error', () => undefined);
    },
    onRequest: (_listener: (record: RequestRecord) => void) => () => undefined,
    close: () => {
      log.push(`${now()}: close ${name}`);
      return Promise.resolve();
    },
  });
  const createEngine: EngineFactory = (request): Observable<WebdavEngine> => {
    const name = request.kind === 'share' ? request.path : request.shares.map((s) => s.name).join('+');
    return name === '/gone' ? throwError(() => new Error('no such folder')) : of(engine(name));
  };
  return { createEngine, log };
}
