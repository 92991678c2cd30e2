// The npm package as a user gets it: `npm pack`, install the tarball into an empty folder, run the CLI and
// load the typed API from there. Needs the npm registry (or npm's cache) for rxjs, yargs and webdav-server.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
/** Runs npm; on failure the error carries everything npm and the build printed. */
function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

describe('the npm package', () => {
  let work: string;
  let files: string[];
  let tarball: string;
  /** An empty project with the tarball installed into it, as a user would. */
  let app: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'spice-webdav-pack-'));
    // `npm pack` runs the prepare script, so the tarball holds a fresh build.
    const output = npm(['pack', '--json', '--pack-destination', work], ROOT);
    const packed = JSON.parse(output.slice(output.indexOf('\n[') + 1)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, packed[0].filename);
    files = packed[0].files.map((f) => f.path);
    app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    npm(['install', '--prefer-offline', tarball], app);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds what runs and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/spice-webdav',
        // One bundled file per entry point (scripts/bundle.ts), and the compiler's declarations for the API.
        'dist/bundle/cli.js',
        'dist/bundle/index.js',
        'dist/src/index.d.ts',
        'guest/build.sh',
        'systemd/spice-webdav@.service',
        'package.json',
        'README.md',
        'LICENSE',
        // README links into docs/: they work in the unpacked package too.
        'docs/cli.md',
        'docs/api.md',
        'docs/troubleshooting.md',
      ]),
    );
    const strays = files.filter(
      (f) =>
        /^(spec|src|bench|node_modules|guest\/cache)\//.test(f) ||
        f.endsWith('.map') ||
        f.startsWith('dist/bench') ||
        f === 'dist/bundle/bench-client.js' ||
        // The bundles hold all our code: the compiler's per-module JavaScript is not needed at run time.
        (f.startsWith('dist/src/') && !f.endsWith('.d.ts')),
    );
    expect(strays).toEqual([]);
  });

  it('installs into an empty folder and runs `spice-webdav --help` and the typed API from there', () => {
    const help = execFileSync(join(app, 'node_modules', '.bin', 'spice-webdav'), ['--help'], {
      encoding: 'utf8',
    });
    expect(help).toContain('Share a host folder into a VM over SPICE');
    expect(help).toContain('--share-dir');

    const api = execFileSync(
      process.execPath,
      ['-e', "const m = require('spice-webdav'); console.log(typeof m.shareFolder, typeof m.parseTarget)"],
      { cwd: app, encoding: 'utf8' },
    );
    expect(api.trim()).toBe('function function');
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', 'spice-webdav', 'package.json'), 'utf8'),
    ) as {
      types: string;
    };
    expect(existsSync(join(app, 'node_modules', 'spice-webdav', installed.types))).toBe(true);
  });

  // Start-up CPU is mostly module loading: the library and the CLI each load one file of ours, rxjs is inside
  // it, and webdav-server (needed for the first OPTIONS only) stays out until it is asked for, as do the
  // built-ins only some targets need (TLS, ssh and virsh processes, the process that asks
  // webdav-server; domain never).
  it('loads one bundled file for the library and one for the CLI, without webdav-server or unused built-ins', () => {
    /** The files in require.cache and the built-ins Node loaded, after `code` ran in the installed app. */
    const loadedBy = (code: string): { files: string[]; builtins: string[] } => {
      const report =
        'console.log(JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList' +
        ".filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)) }))";
      // The last line printed: what the code printed itself (the CLI's version) comes before it.
      const output = execFileSync(process.execPath, ['-e', `${code}; ${report}`], {
        cwd: app,
        encoding: 'utf8',
      });
      return JSON.parse(output.trim().split('\n').pop() ?? '{}') as { files: string[]; builtins: string[] };
    };
    const ours = (files: string[]) => files.filter((f) => f.includes('/node_modules/spice-webdav/'));
    const onlyForSomeTargets = (builtins: string[]) =>
      builtins.filter((name) => ['tls', 'child_process', 'domain'].includes(name));

    const library = loadedBy("require('spice-webdav')");
    expect(ours(library.files)).toEqual([
      join(app, 'node_modules', 'spice-webdav', 'dist', 'bundle', 'index.js'),
    ]);
    expect(library.files).toHaveLength(1);
    expect(onlyForSomeTargets(library.builtins)).toEqual([]);

    const cli = loadedBy("require('spice-webdav/dist/bundle/cli.js').main(['--version'])");
    expect(ours(cli.files)).toEqual([join(app, 'node_modules', 'spice-webdav', 'dist', 'bundle', 'cli.js')]);
    expect(cli.files.filter((f) => /\/node_modules\/(rxjs|webdav-server)\//.test(f))).toEqual([]);
    expect(onlyForSomeTargets(cli.builtins)).toEqual([]);
  });

  // V8 holds a script's source for the life of the process, two bytes per character if any one character is
  // outside Latin-1: a dash in a comment doubled the CLI's 674 KB source in its heap (scripts/bundle.ts).
  it('ships bundles whose source is ASCII, so V8 keeps them one byte per character', () => {
    for (const bundle of ['cli.js', 'index.js']) {
      const source = readFileSync(
        join(app, 'node_modules', 'spice-webdav', 'dist', 'bundle', bundle),
        'latin1',
      );
      expect({ bundle, nonAscii: source.match(/[\u0080-\uffff]/g)?.length ?? 0 }).toEqual({
        bundle,
        nonAscii: 0,
      });
    }
  });
});
