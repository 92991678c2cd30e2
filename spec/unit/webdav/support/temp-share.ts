import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  promises as fsp,
  readFileSync,
  readdirSync,
  lstatSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A temp sandbox: `share/` (served), `outside/` and the sibling-prefix `share-evil/`, never served. */
export interface Sandbox {
  readonly base: string;
  readonly share: string;
  readonly outside: string;
  readonly evil: string;
  remove(): void;
}

export function makeSandbox(): Sandbox {
  const base = mkdtempSync(path.join(tmpdir(), 'spice-webdav-spec-'));
  const share = path.join(base, 'share');
  const outside = path.join(base, 'outside');
  const evil = path.join(base, 'share-evil');
  for (const dir of [share, outside, evil]) mkdirSync(dir);
  return {
    base,
    share,
    outside,
    evil,
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fsp.writeFile(path.join(root, name), content);
  }
}

/** Every entry below `dir` with its kind and content hash (links by target), sorted: equal iff unchanged. */
export function manifest(dir: string): string[] {
  const lines: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const full = path.join(current, name);
      const relative = path.relative(dir, full);
      const stats = lstatSync(full);
      if (stats.isSymbolicLink()) lines.push(`link ${relative} -> ${readlinkSync(full)}`);
      else if (stats.isDirectory()) {
        lines.push(`dir ${relative}`);
        walk(full);
      } else lines.push(`file ${relative} ${sha256(readFileSync(full))}`);
    }
  };
  walk(dir);
  return lines;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
