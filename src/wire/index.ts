// The wire layer: pure SPICE and spice-webdavd codecs, no I/O.

export * from './constants';
export * from './errors';
export * from './binary-reader';
export * from './caps';
export * from './link';
export * from './ticket';
export * from './data-header';
export * from './lz4-block';
export * from './mux-frame';
export * from './mux-resync';
export * from './message-framer';
export * from './messages/base';
export * from './messages/main';
export * from './messages/port';
export * from './messages/server-message';
export * from './display-text';
