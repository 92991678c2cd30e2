import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { atName } from '../anchored-names';
import type { Location } from '../path-confinement';
import { refusedOutcome } from './file-system-refusal';
import { outcome, type MethodOutcome } from './method-outcome';

/**
 * MKCOL (RFC 4918 §9.3) of a path the engine resolved under the namespace lock, which it holds exclusively
 * around this: 201, 405 if the name exists, 409 without a parent.
 */
export async function makeFolder(location: Location): Promise<MethodOutcome> {
  if (location.kind === 'outside') return outcome(403, 'The path leaves the shared folder.');
  if (location.exists) return outcome(405, 'Something already exists at this name.');
  const parent = await fsp.stat(path.dirname(location.real)).catch(() => undefined);
  if (!parent?.isDirectory()) return outcome(409, 'The parent folder does not exist; create it first.');
  try {
    // Never follows a link at the final name (EEXIST), and never beyond a folder swapped on the host.
    await atName(location.real, (at) => fsp.mkdir(at));
  } catch (error) {
    return refusedOutcome(error);
  }
  return outcome(201);
}
