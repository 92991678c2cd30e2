// The public surface of the WebDAV layer: an engine that serves HTTP/1.1 WebDAV over any Duplex.
export { createWebdavEngine } from './engine';
export { createUnavailableEngine } from './unavailable-engine';
export type { EngineOptions, RequestRecord, ShareConfig, WebdavEngine } from './types';
