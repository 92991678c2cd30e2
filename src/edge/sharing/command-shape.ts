import type { SharingCommand } from './sharing-types';

/**
 * What is wrong with the shape of a command an embedder sent, or undefined when it has the shape of a
 * `SharingCommand`. TypeScript checks this at compile time; JavaScript callers get the reason here instead
 * of a TypeError from deep inside (`reading 'map'` of a `shares` that is not there). Whether the folders
 * exist is the engine's business (a `share-failed` event), not this.
 */
export function commandShapeProblem(command: SharingCommand): string | undefined {
  const given: unknown = command;
  if (typeof given !== 'object' || given === null) return `a command is an object, not ${String(given)}`;
  const { kind } = given as { kind?: unknown };
  switch (kind) {
    case 'stop':
      return undefined;
    case 'share': {
      const { path, readOnly } = given as { path?: unknown; readOnly?: unknown };
      if (typeof path !== 'string' || path === '') return '"share" needs a path (a non-empty string)';
      if (readOnly !== undefined && typeof readOnly !== 'boolean') return '"share": readOnly is a boolean';
      return undefined;
    }
    case 'share-folders': {
      const { shares } = given as { shares?: unknown };
      if (!Array.isArray(shares))
        return '"share-folders" needs shares (an array of { name, path, readOnly })';
      const wellFormed = shares.every((share: unknown) => {
        if (typeof share !== 'object' || share === null) return false;
        const { name, path, readOnly } = share as { name?: unknown; path?: unknown; readOnly?: unknown };
        return typeof name === 'string' && typeof path === 'string' && typeof readOnly === 'boolean';
      });
      return wellFormed
        ? undefined
        : '"share-folders": each share is { name: string, path: string, readOnly: boolean }';
    }
    default:
      return `unknown command kind ${JSON.stringify(kind) ?? String(kind)} (known: share, share-folders, stop)`;
  }
}
