/**
 * Bundles what a user runs into one CommonJS file per entry point (docs/performance.md, "Start-up and baseline
 * memory"): the CLI, the library's public entry and the bench's client. Loading one file instead of about 360
 * modules, with rxjs's ES module build so the operators we do not use are left out, is most of a cold start's
 * CPU. Run after `tsc -p tsconfig.build.json` (which still emits dist/src for the types and the specs):
 *   node dist/scripts/bundle.js
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
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

/**
 * Node built-ins that the serving path does not use (TLS targets, ssh tunnels, libvirt's virsh and QEMU
 * launches, the process that asks webdav-server), with their own internal modules about 10 ms of CPU per start
 * when loaded eagerly. An `import` of one is bundled as an object whose members load the module on first use.
 */
const LAZY_BUILTINS = ['node:tls', 'node:child_process'];
const LAZY_NAMESPACE = 'lazy-builtin';

const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(bundler) {
    const filter = new RegExp(`^(${LAZY_BUILTINS.map((name) => name.replace(/[:]/g, '\\:')).join('|')})$`);
    bundler.onResolve({ filter }, (args) =>
      args.namespace === LAZY_NAMESPACE
        ? { path: args.path, external: true }
        : { path: args.path, namespace: LAZY_NAMESPACE },
    );
    bundler.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (args) => {
      if (!builtinModules.includes(args.path.replace(/^node:/, '')))
        throw new Error(`${args.path} is no built-in`);
      // The member names are this Node's (the one building is the one running: `npm ci` builds).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const names = Object.keys(require(args.path) as object).filter((name) => name !== 'default');
      const getters = names
        .map((name) => `  get ${JSON.stringify(name)}() { return load()[${JSON.stringify(name)}]; },`)
        .join('\n');
      return {
        loader: 'js',
        contents:
          `let loaded;\nconst load = () => (loaded ??= require(${JSON.stringify(args.path)}));\n` +
          `module.exports = {\n${getters}\n};\n`,
      };
    });
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
      plugins: [rxjsEsm, lazyBuiltins],
      // Not minified: names and the `// src/...` comments keep stack traces readable; minifying saved no
      // measurable start-up CPU.
      minify: false,
      logLevel: 'warning',
    });
    if (result.errors.length > 0) throw new Error(`bundling ${entry.source} failed`);
    const out = join(ROOT, entry.out);
    writeFileSync(out, asciiOnly(readFileSync(out, 'utf8'), entry.out));
  }
}

/**
 * V8 keeps a script's source in its heap for as long as the script lives, one byte per character when every
 * character fits in Latin-1 and two bytes otherwise. esbuild escapes non-ASCII characters in code (its default
 * `charset: 'ascii'`) but copies comments as written, so one multiplication sign or dash in a comment made the
 * CLI's 674 KB source a 1.35 MB string: 0.67 MB more heap for the life of the process, which brought V8's full
 * collections forward in long PUTs (docs/performance.md, "What the CLI adds to a PUT" (session 33)). Comments lose
 * their non-ASCII characters to `\u` escapes; one anywhere else stops the build: rewriting code is not ours to do.
 */
function asciiOnly(source: string, name: string): string {
  const lines = source.split('\n');
  return lines
    .map((line, index) =>
      line.replace(/[\u0080-\uffff]/g, (character, column: number) => {
        const before = line.slice(0, column);
        const inComment = before.includes('//') || before.includes('/*') || /^\s*\*/.test(line);
        if (!inComment) throw new Error(`${name}:${index + 1}: a non-ASCII character outside a comment`);
        return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
      }),
    )
    .join('\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
