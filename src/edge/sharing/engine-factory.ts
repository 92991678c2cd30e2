import type { ObservableInput } from 'rxjs';
import { createWebdavEngine } from '../../webdav';
import { createMultiShareEngine } from '../../webdav/multi-share';
import type { EngineOptions, WebdavEngine } from '../../webdav/types';
import type { SharingCommand } from './sharing-types';

/** A command that asks for something to be shared. */
export type ShareRequest = Exclude<SharingCommand, { kind: 'stop' }>;

/**
 * Makes the engine that serves a share request, checking the folder(s) first (it fails when one is missing).
 * Injected into shareFolder so specs can run it on fakes; `createShareEngine` is the real one.
 */
export type EngineFactory = (
  request: ShareRequest,
  options: EngineOptions | undefined,
) => ObservableInput<WebdavEngine>;

export const createShareEngine: EngineFactory = (request, options) =>
  request.kind === 'share-folders'
    ? createMultiShareEngine(request.shares, options)
    : createWebdavEngine({ root: request.path, readOnly: request.readOnly ?? false }, options);
