import * as path from 'node:path';

/** How a COPY/MOVE destination lies relative to its source, both real paths. Pure. */
export type PathRelation = 'same' | 'destination-inside-source' | 'source-inside-destination' | 'apart';

export function relationOf(sourceReal: string, destinationReal: string): PathRelation {
  if (sourceReal === destinationReal) return 'same';
  if (destinationReal.startsWith(sourceReal + path.sep)) return 'destination-inside-source';
  if (sourceReal.startsWith(destinationReal + path.sep)) return 'source-inside-destination';
  return 'apart';
}
