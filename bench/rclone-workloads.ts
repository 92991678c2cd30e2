// Many small files through a real WebDAV client with keep-alive and 4 parallel transfers: rclone on the host,
// through the guest's relay, on a tree of 1,000 files of 4 KiB in 20 folders. Four steps, each a workload of its
// own (upload, list, download, delete), run in this order in one client process.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workload, WorkloadContext } from './workloads';

const FOLDERS = 20;
const FILES_PER_FOLDER = 50;
const FILE_BYTES = 4096;

/** The local tree to upload, made once per run; removed by the returned cleanup. */
export function makeSmallFileTree(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'spice-webdav-bench-tree-'));
  const body = Buffer.alloc(FILE_BYTES, 'x');
  for (let f = 0; f < FOLDERS; f++) {
    mkdirSync(join(dir, `d${f}`));
    for (let i = 0; i < FILES_PER_FOLDER; i++) writeFileSync(join(dir, `d${f}`, `f${i}.txt`), body);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function rclone(context: WorkloadContext, args: string): Promise<string> {
  const { shell } = context;
  return shell.run(
    `rclone --webdav-url ${shell.base} --webdav-vendor other --transfers 4 --checkers 4 --retries 1 --low-level-retries 1 ${args}`,
  );
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await step();
  return (Date.now() - started) / 1000;
}

const UPLOAD = 'rclone-up@host';

/**
 * The workloads `only` asks for, plus the upload where it asks for a later rclone step without it: listing,
 * downloading and deleting work on the tree the upload made in the same client process and round.
 */
export function withRcloneUpload(only: readonly string[]): string[] {
  const needsTree = only.some((id) => id.startsWith('rclone-') && id !== UPLOAD);
  return needsTree && !only.includes(UPLOAD) ? [UPLOAD, ...only] : [...only];
}

export function rcloneWorkloads(tree: string): Workload[] {
  const remote = (context: WorkloadContext): string => `:webdav:tree-${context.client}-${context.round}`;
  const step = (id: string, label: string, run: (context: WorkloadContext) => Promise<number>): Workload => ({
    id,
    label,
    unit: 's',
    higherIsBetter: false,
    bytes: 0,
    topology: 'host',
    cold: false,
    run,
  });
  return [
    step(UPLOAD, 'rclone: upload 1,000 × 4 KiB in 20 folders', (context) =>
      timed(() => rclone(context, `copy ${tree} ${remote(context)}`)),
    ),
    step('rclone-list@host', 'rclone: list the 1,000 files', async (context) => {
      let listed = '';
      const seconds = await timed(async () => {
        listed = await rclone(context, `lsf -R --files-only ${remote(context)}`);
      });
      const count = listed.split('\n').filter((line) => line !== '').length;
      if (count !== FOLDERS * FILES_PER_FOLDER) throw new Error(`rclone listed ${count} files, not 1,000`);
      return seconds;
    }),
    step('rclone-down@host', 'rclone: download the 1,000 files', async (context) => {
      const into = mkdtempSync(join(tmpdir(), 'spice-webdav-bench-down-'));
      try {
        return await timed(() => rclone(context, `copy ${remote(context)} ${into}`));
      } finally {
        rmSync(into, { recursive: true, force: true });
      }
    }),
    step('rclone-delete@host', 'rclone: delete the tree', (context) =>
      timed(() => rclone(context, `purge ${remote(context)}`)),
    ),
  ];
}
