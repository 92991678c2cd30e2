/**
 * Bundles what a user runs into one CommonJS file per entry point (docs/performance.md, "Start-up and baseline
 * memory"): the CLI, the library's public entry and the bench's client. Loading one file instead of about 360
 * modules, with rxjs's ES module build so the operators we do not use are left out, is most of a cold start's
 * CPU. Run after `tsc -p tsconfig.build.json` (which still emits dist/src for the types and the specs):
 *   node dist/scripts/bundle.js
 */
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Modules left outside the bundle, loaded from node_modules when (and only when) they are required:
 * - webdav-server: a large tree needed only for the first OPTIONS answer (src/webdav/dav-capabilities.ts).
 * - yargs: reads its locale files relative to its own folder, which a bundle would break; the library never
 *   loads it, the CLI does once per run.
 */
const EXTERNAL = ['webdav-server', 'yargs', 'yargs/*'];

/** Entry points, relative to the package root, and the file each becomes. */
const ENTRIES: readonly { readonly source: string; readonly out: string }[] = [
  { source: 'src/edge/cli/main.ts', out: 'dist/bundle/cli.js' },
  { source: 'src/index.ts', out: 'dist/bundle/index.js' },
  // The bench's client is the library plus a few lines: bundled the same way, it measures what users load.
  { source: 'bench/our-client.ts', out: 'dist/bundle/bench-client.js' },
];

/**
 * rxjs's package.json sends Node (the "node" export condition) to its CommonJS build, which cannot be
 * tree-shaken; its ES2015 build can (the package declares no side effects).
 */
const rxjsEsm: Plugin = {
  name: 'rxjs-esm',
  setup(bundler) {
    bundler.onResolve({ filter: /^rxjs$/ }, () => ({
      path: join(ROOT, 'node_modules', 'rxjs', 'dist', 'esm', 'index.js'),
    }));
  },
};

async function main(): Promise<void> {
  for (const entry of ENTRIES) {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [entry.source],
      outfile: entry.out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: EXTERNAL,
      plugins: [rxjsEsm],
      // Not minified: names and the `// src/...` comments keep stack traces readable; minifying saved no
      // measurable start-up CPU.
      minify: false,
      logLevel: 'warning',
    });
    if (result.errors.length > 0) throw new Error(`bundling ${entry.source} failed`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
