// Several host folders served as top-level folders of one virtual root.
export { createMultiShareEngine } from './multi-share-engine';
export { checkShareList, shareNameProblem, type NamedShare } from './share-name';
