import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import yargs, { type Argv } from 'yargs';
import { overlappingFolders, type NamedShare } from '../../webdav/multi-share/share-name';
import type { SpiceTarget, SpiceTlsOptions } from '../spice/target';
import { looksLikeVvFile, readVvFile } from '../vv-file/read-vv-file';
import { parseShareOptions } from './parse-share-option';
import { parseTarget } from './parse-target';
import { parseHostSubject } from '../spice/host-subject';
import { readPassword, type PasswordSource } from './read-password';
import { UsageError } from './usage-error';
import { reconnectModeFromOption } from './reconnect-option';
import { compressionModeFromOption } from './compression-option';
import type { CompressionMode } from '../spice/webdav-caps';
import { secureChannelsFromOption, withSecureChannels } from './secure-channels-option';
import type { ReconnectMode } from '../sharing/reconnect';
import { expandHome } from './expand-home';
import type { LibvirtTarget } from '../libvirt/libvirt-target';
import { libvirtTargetFromOptions } from './libvirt-option';
import { readableFileProblem, shareFolderProblem, socketPathProblem } from './local-path-problems';

export interface ShareRequest {
  readonly path: string;
  readonly readOnly: boolean;
}

export type LogFormat = 'human' | 'json';

export type CliCommand =
  | {
      readonly kind: 'connect';
      readonly target: SpiceTarget | LibvirtTarget;
      readonly tls: SpiceTlsOptions;
      readonly password: string | undefined;
      /** Where the password came from (named in the hint when the server refuses it). */
      readonly passwordSource: PasswordSource;
      readonly share: ShareRequest | undefined;
      /** --share NAME=DIR[:ro], in order; empty when not given. */
      readonly shares: readonly NamedShare[];
      readonly verbose: boolean;
      readonly logFormat: LogFormat;
      /** --reconnect[=always]: connect again after a loss ('off' without the option). */
      readonly reconnect: ReconnectMode;
      /** --compression: whether the server is asked to LZ4-compress the guest's data. */
      readonly compression: CompressionMode;
      /** --control PATH: a unix socket taking JSON-line commands. */
      readonly control: string | undefined;
      /** The CA certificate from a .vv file's ca= (the CLI writes it to a private temp file). */
      readonly caPem: string | undefined;
      /** A .vv file asked to be deleted once read (delete-this-file=1) and could not be: what went wrong. */
      readonly vvDeletionProblem: string | undefined;
    }
  | { readonly kind: 'demo'; readonly shareDir: string | undefined; readonly verbose: boolean }
  /** --help or --version: yargs has printed it already. */
  | { readonly kind: 'done'; readonly output: string };

const EPILOG = `Addresses: HOST:PORT, [IPv6]:PORT, spice://HOST:PORT, 'spice://HOST?port=P&tls-port=T',
spice+tls://HOST:TLSPORT (TLS only), spice+unix:///PATH, or a virt-viewer FILE.vv.

Examples:
  spice-webdav -c qemu:///system myvm --share-dir ~/Shared --wait --reconnect   (a libvirt domain)
  spice-webdav --direct 127.0.0.1:5900 --share-dir ~/Shared
  spice-webdav 'spice://vmhost:5900?tls-port=5901' --ca-file ca-cert.pem --share-dir ./out --read-only
  spice-webdav 127.0.0.1:5900 --share docs=~/Documents --share music=~/Music:ro --control /tmp/sw.sock
  spice-webdav ~/Downloads/console.vv --share-dir .      (a virt-viewer connection file)
  SPICE_PASSWORD=secret spice-webdav spice+unix:///run/vm/spice.sock --share-dir .
  spice-webdav demo          (boots a tiny test VM and shows folder sharing end to end)

While it runs: type share DIR [read-only], stop or status (when stdin is a terminal), or send
{"command":"status"} lines to the --control socket.
Inside a Linux guest with spice-webdavd: http://127.0.0.1:9843/ (davfs2) or dav://localhost:9843/ (GNOME Files).
Exit codes: 0 stopped by SIGINT/SIGTERM/SIGHUP, 1 unexpected error, 2 usage, 10 refused,
11 unreachable, 12 TLS, 13 password refused or missing, 14 no webdav port, 15 kicked by another client,
16 server gone, 17 protocol error, 18 libvirt not reachable or refused access,
19 no such (running) domain, 20 domain without a reachable SPICE display.`;

const DEMO_EPILOG = `Boots a tiny test VM under QEMU, shares a folder into it and has the guest list, read and write it.
Without --share-dir it shares a new temporary folder and removes it at the end; with --share-dir DIR the
guest reads DIR and writes one file into it, from-the-guest.txt (said before the VM boots).`;

/** A malformed --host-subject is a usage error (exit 2) before anything connects, not a failure later. */
function hostSubjectProblem(subject: string | undefined): void {
  if (subject === undefined) return;
  try {
    parseHostSubject(subject);
  } catch (error) {
    throw new UsageError(`--host-subject: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * An option given more than once takes its last value, as in most command lines: the systemd unit adds the
 * user's EXTRA_ARGS after its own `--reconnect`, and `--reconnect=always` there must win. yargs gives an
 * array for a repeated option, which crashed the checks after it ("value.trim is not a function").
 */
function lastGiven(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : (value[value.length - 1] ?? '');
}

/** lastGiven for a number option. */
function lastNumber(value: number | readonly number[]): number {
  return typeof value === 'number' ? value : (value[value.length - 1] ?? Number.NaN);
}

export function commandLineParser(version: string) {
  return (
    yargs()
      .scriptName('spice-webdav')
      .usage(
        '$0 [HOST:PORT | spice://HOST:PORT | spice+unix:///PATH | FILE.vv | -c URI DOMAIN] [options]\n\nShare a host folder into a VM over SPICE.',
      )
      .command('$0 [target]', false)
      .positional('target', {
        type: 'string',
        describe: 'SPICE server address, a virt-viewer .vv file, or with -c a libvirt DOMAIN',
      })
      // The address exactly as typed: `5900` or `0x10` stay text, and parseTarget says what is missing.
      // Options are read by their dashed names only: no camelCase copies, which an "Unknown arguments"
      // error would list beside the real name (`foo-bar, fooBar`).
      .parserConfiguration({
        'parse-positional-numbers': false,
        'parse-numbers': false,
        'camel-case-expansion': false,
      })
      .command('demo', 'boot a tiny test VM and share a folder into it, explaining each step')
      .option('connect', {
        type: 'string',
        coerce: lastGiven,
        alias: 'c',
        describe:
          'libvirt URI (qemu:///system, qemu+ssh://user@host/system): the target is then a DOMAIN name, id or UUID',
      })
      .option('wait', {
        type: 'boolean',
        default: false,
        describe: 'with -c: wait for the domain to exist and start',
      })
      .option('direct', {
        type: 'string',
        coerce: lastGiven,
        describe: 'SPICE server HOST:PORT (the same as the positional address)',
      })
      .option('tls-port', {
        type: 'number',
        coerce: lastNumber,
        describe: "the server's TLS port (QEMU -spice tls-port=)",
      })
      .option('secure-channels', {
        type: 'string',
        coerce: lastGiven,
        alias: 'spice-secure-channels',
        describe:
          'channels that must use TLS, e.g. main,webdav or all (default with a TLS port: all; the password goes only over TLS)',
      })
      .option('ca-file', {
        type: 'string',
        coerce: lastGiven,
        alias: 'spice-ca-file',
        describe: 'CA certificate (PEM) for TLS',
      })
      .option('host-subject', {
        type: 'string',
        coerce: lastGiven,
        alias: 'spice-host-subject',
        describe: 'expected server certificate subject, e.g. "C=XX,L=city,O=org,CN=host"',
      })
      .option('password-file', {
        type: 'string',
        coerce: lastGiven,
        describe: 'file holding the SPICE password (else $SPICE_PASSWORD, which a .vv file never gets)',
      })
      .option('share-dir', {
        type: 'string',
        coerce: lastGiven,
        alias: 'spice-shared-dir',
        describe: 'folder to share with the guest',
      })
      .option('read-only', {
        type: 'boolean',
        alias: 'share-dir-ro',
        default: false,
        describe: 'share read-only',
      })
      .option('share', {
        type: 'string',
        array: true,
        describe:
          'NAME=DIR[:ro]: share DIR as the folder NAME of a virtual root (repeatable; :ro = read-only)',
      })
      .option('control', {
        type: 'string',
        coerce: lastGiven,
        describe: 'unix socket (mode 0600) taking JSON-line commands: share, stop, status',
      })
      .option('log-format', {
        choices: ['human', 'json'] as const,
        // The last one given wins, as for every option (a unit's EXTRA_ARGS may repeat one): repeated, it was
        // an array, which is neither value, so the log fell back to human lines.
        coerce: lastGiven, // checked against the choices after this
        default: 'human' as const,
        describe: 'human: short lines on stderr; json: one JSON object per event on stdout',
      })
      .option('reconnect', {
        type: 'string',
        coerce: lastGiven,
        describe:
          'connect again (with backoff) when the SPICE server goes away or the connection is cut; ' +
          '--reconnect=always also when another SPICE client took over',
      })
      .option('compression', {
        type: 'string',
        coerce: lastGiven,
        describe:
          'auto|on|off: have the SPICE server LZ4-compress what the guest sends (auto, the default: only over ' +
          'a link that leaves this machine, where it pays)',
      })
      .option('verbose', {
        type: 'boolean',
        alias: 'v',
        default: false,
        describe: 'log every request and more detail',
      })
      .strict()
      .version(version)
      .help()
      .alias('help', 'h')
      .epilog(EPILOG)
      .wrap(Math.min(110, process.stdout.columns ?? 110))
  );
}

/** `spice-webdav demo`: only what the demo takes, so that its --help lists only that. */
function demoParser(version: string) {
  return yargs()
    .scriptName('spice-webdav')
    .parserConfiguration({ 'camel-case-expansion': false })
    .usage(
      '$0 demo [--share-dir DIR] [-v]\n\nBoot a tiny test VM and share a folder into it, explaining each step.',
    )
    .option('share-dir', {
      type: 'string',
      coerce: lastGiven,
      alias: 'spice-shared-dir',
      describe: 'share this folder (the guest writes from-the-guest.txt into it)',
    })
    .option('verbose', {
      type: 'boolean',
      alias: 'v',
      default: false,
      describe: 'show how the VM is prepared',
    })
    .strict()
    .version(version)
    .help()
    .alias('help', 'h')
    .epilog(DEMO_EPILOG)
    .wrap(Math.min(110, process.stdout.columns ?? 110));
}

/** Turns argv into one typed command; every mistake is a UsageError whose message says how to fix it. */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  version: string,
): CliCommand {
  const home = env.HOME ?? homedir();
  if (argv[0] === 'demo') {
    const demo = runParser(demoParser(version), argv.slice(1), 'spice-webdav demo --help');
    if (demo.kind === 'done') return demo;
    const shareDir = demo.parsed['share-dir'];
    if (shareDir === '') throw new UsageError('--share-dir needs a folder, e.g. --share-dir ~/Shared.');
    const folder = shareDir === undefined ? undefined : expandHome(shareDir, home);
    if (folder !== undefined) checkShareFolder(`--share-dir ${folder}`, folder);
    return { kind: 'demo', shareDir: folder, verbose: demo.parsed.verbose };
  }
  const run = runParser(commandLineParser(version), withOptionalValues(argv), '--help');
  if (run.kind === 'done') return run;
  const parsed = run.parsed;

  const path = (option: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (value === '')
      throw new UsageError(
        `--${option} needs a value, e.g. --${option} ${EXAMPLE_VALUES[option] ?? 'VALUE'}.`,
      );
    return expandHome(value, home);
  };
  const verbose = parsed.verbose;
  const logFormat: LogFormat = parsed['log-format'] === 'json' ? 'json' : 'human';
  const shareDir = path('share-dir', parsed['share-dir']);
  if (shareDir !== undefined) checkShareFolder(`--share-dir ${shareDir}`, shareDir);

  const positional = parsed.target === undefined ? undefined : String(parsed.target);
  const address = parsed.direct ?? positional;
  if (parsed.direct !== undefined && positional !== undefined) {
    throw new UsageError(
      parsed.connect !== undefined
        ? '-c names a libvirt domain (its address comes from libvirt) and --direct an address: give one of them.'
        : 'Give the SPICE address once: either --direct HOST:PORT or a positional address.',
    );
  }
  if (address === undefined) {
    if (parsed.connect !== undefined)
      throw new UsageError('-c URI needs a DOMAIN: a name, id or UUID from `virsh list --all`.');
    if (parsed.wait) throw new UsageError('--wait applies to a libvirt domain: give -c URI DOMAIN.');
    const connectionOptions: string[] = CONNECTION_ONLY_OPTIONS.filter(
      (option) => parsed[option] !== undefined,
    );
    if (parsed['read-only']) connectionOptions.push('read-only');
    // The demo speaks to a person: a script that asked for JSON lines and lost its address must not get a VM.
    if (logFormat === 'json') connectionOptions.push('log-format');
    if (shareDir !== undefined) connectionOptions.push('share-dir');
    if (connectionOptions.length === 0) return { kind: 'demo', shareDir: undefined, verbose };
    // Never fall back to the demo (which writes into a --share-dir) when the user meant to connect: the demo
    // with a folder of the user's is only ever `spice-webdav demo --share-dir DIR`.
    throw new UsageError(
      `No SPICE address given, though --${connectionOptions[0]} was: add HOST:PORT, a spice:// URI or a .vv file ` +
        '(or run `spice-webdav demo --share-dir DIR` for the demo).',
    );
  }
  const shareOptions = (parsed.share ?? []).map(String);
  if (shareOptions.length > 0 && shareDir !== undefined) {
    throw new UsageError('Use either --share-dir DIR (one folder) or --share NAME=DIR (several), not both.');
  }
  if (parsed['read-only'] && shareOptions.length > 0) {
    throw new UsageError(
      'With --share, mark each read-only folder with :ro, e.g. --share docs=~/Documents:ro.',
    );
  }
  if (parsed['read-only'] && shareDir === undefined) {
    throw new UsageError('--read-only needs --share-dir DIR (the folder to share read-only).');
  }
  const shares = parseShareOptions(shareOptions, process.cwd(), home);
  for (const share of shares) checkShareFolder(`--share ${share.name}=${share.path}`, share.path);
  // As the engine will see them, links resolved: an overlap through a link is a usage error before the VM's
  // one SPICE session is taken, not a share that fails after connecting.
  const overlap = overlappingFolders(
    shares.map((share) => ({ name: share.name, folder: realFolder(share.path) })),
  );
  if (overlap !== undefined) throw new UsageError(`--share: ${overlap}.`);
  const control = path('control', parsed.control);
  const controlProblem = control === undefined ? undefined : socketPathProblem(control);
  if (controlProblem !== undefined) {
    throw new UsageError(`--control ${control}: ${controlProblem}.`);
  }
  const passwordFile = path('password-file', parsed['password-file']);
  const caFile = path('ca-file', parsed['ca-file']);
  hostSubjectProblem(parsed['host-subject']);
  const caProblem = caFile === undefined ? undefined : readableFileProblem(caFile);
  if (caProblem !== undefined) {
    throw new UsageError(
      `--ca-file ${caFile}: ${caProblem}; give the CA certificate (PEM) that signed the server's.`,
    );
  }
  const secureChannels = secureChannelsFromOption(parsed['secure-channels']);
  const libvirtTarget = libvirtTargetFromOptions({
    connect: parsed.connect,
    wait: parsed.wait,
    domain: address,
    direct: parsed.direct,
    tlsPort: parsed['tls-port'],
  });
  const common = {
    share: shareDir === undefined ? undefined : { path: shareDir, readOnly: parsed['read-only'] },
    shares,
    verbose,
    logFormat,
    reconnect: reconnectModeFromOption(parsed.reconnect),
    compression: compressionModeFromOption(parsed.compression),
    control,
  };
  if (libvirtTarget !== undefined) {
    if (secureChannels !== undefined) {
      throw new UsageError(
        '--secure-channels does not go with -c yet: a libvirt display with a TLS port is always reached over TLS (give its CA with --ca-file).',
      );
    }
    const { password, source } = readPassword(passwordFile, env);
    return {
      kind: 'connect',
      target: libvirtTarget,
      tls: {
        ...(caFile === undefined ? {} : { caFile }),
        ...(parsed['host-subject'] === undefined ? {} : { hostSubject: parsed['host-subject'] }),
      },
      password,
      passwordSource: source,
      caPem: undefined,
      vvDeletionProblem: undefined,
      ...common,
    };
  }
  if (parsed.direct === undefined && looksLikeVvFile(address)) {
    if (parsed['tls-port'] !== undefined) {
      throw new UsageError('--tls-port does not go with a .vv file: the file gives tls-port= itself.');
    }
    // Read (and, with delete-this-file=1, deleted) first: whatever fails after this, the file is gone.
    const { connection: vv, deletionProblem } = readVvFile(address);
    // Options given on the command line win over the file, as they do for remote-viewer.
    const hostSubject = parsed['host-subject'] ?? vv.hostSubject;
    // The file's own password or none: $SPICE_PASSWORD belongs to the user's hosts, not to whatever host
    // a downloaded file names. --password-file is the explicit way to send another one.
    const fromOption = passwordFile === undefined ? undefined : readPassword(passwordFile, {});
    refuseUnusedTlsOptions(vv.target, caFile, parsed['host-subject']);
    return {
      kind: 'connect',
      target: withSecureChannels(vv.target, secureChannels),
      tls: {
        ...(caFile === undefined ? {} : { caFile }),
        ...(hostSubject === undefined ? {} : { hostSubject }),
      },
      password: fromOption?.password ?? vv.password,
      passwordSource:
        fromOption?.source ??
        (vv.password === undefined ? { kind: 'none', vvFile: address } : { kind: 'vv-file', path: address }),
      caPem: caFile === undefined ? vv.caPem : undefined,
      vvDeletionProblem: deletionProblem,
      ...common,
    };
  }
  const tlsPort = parsed['tls-port'];
  if (tlsPort !== undefined && (!Number.isInteger(tlsPort) || tlsPort < 1 || tlsPort > 65535)) {
    // yargs reads a number option that is no number as NaN: show what was typed instead.
    const shown = Number.isNaN(tlsPort) ? JSON.stringify(typedValue(argv, 'tls-port') ?? '') : tlsPort;
    throw new UsageError(`--tls-port ${shown} is not a port number (1-65535).`);
  }
  const tls: SpiceTlsOptions = {
    ...(caFile === undefined ? {} : { caFile }),
    ...(parsed['host-subject'] === undefined ? {} : { hostSubject: parsed['host-subject'] }),
  };
  const target = withSecureChannels(parseTarget(address, tlsPort), secureChannels);
  refuseUnusedTlsOptions(target, caFile, parsed['host-subject']);
  const { password, source } = readPassword(passwordFile, env);
  return {
    kind: 'connect',
    target,
    tls,
    password,
    passwordSource: source,
    caPem: undefined,
    vvDeletionProblem: undefined,
    ...common,
  };
}

/**
 * --ca-file and --host-subject ask for a TLS connection; where none will be made (no TLS port known, a unix
 * socket) they would be dropped without a word and the password sent in the clear, so they are an error.
 */
function refuseUnusedTlsOptions(
  target: SpiceTarget,
  caFile: string | undefined,
  hostSubject: string | undefined,
): void {
  const given = [
    caFile === undefined ? [] : ['--ca-file'],
    hostSubject === undefined ? [] : ['--host-subject'],
  ].flat();
  if (given.length === 0) return;
  const [options, are, them] =
    given.length > 1 ? [given.join(' and '), 'are', 'them'] : [given.join(''), 'is', 'it'];
  if (target.kind === 'unix')
    throw new UsageError(`${options} ${are} for TLS, which a unix socket does not use: leave ${them} out.`);
  if (target.tlsPort === undefined)
    throw new UsageError(
      `${options} ${are} for TLS, and no TLS port is known: give the ` +
        "VM's SPICE tls-port (--tls-port N, or tls-port= in the URI or the .vv file), or leave " +
        `${them} out.`,
    );
}

/** Parses with yargs without letting it exit or print: --help and --version come back as `done`. */
function runParser<T>(
  parser: Argv<T>,
  argv: readonly string[],
  helpHint: string,
): { kind: 'parsed'; parsed: ReturnType<Argv<T>['parseSync']> } | { kind: 'done'; output: string } {
  let output = '';
  let failure: string | undefined;
  const parsed = parser
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      failure = message ?? error?.message ?? 'invalid command line';
    })
    .parseSync([...argv], {}, (_err: Error | undefined, _argv: unknown, text: string) => {
      output = text;
    });
  if (failure !== undefined) throw new UsageError(`${failure}. Try ${helpHint}.`);
  return output === '' ? { kind: 'parsed', parsed } : { kind: 'done', output };
}

/** Options that only mean something when connecting to a VM: with one of them, no address is a mistake. */
const CONNECTION_ONLY_OPTIONS = [
  'direct',
  'tls-port',
  'secure-channels',
  'ca-file',
  'host-subject',
  'password-file',
  'share',
  'control',
  'reconnect',
  'compression',
] as const;

const EXAMPLE_VALUES: Readonly<Record<string, string>> = {
  'share-dir': '~/Shared',
  control: '/run/user/$UID/sw.sock',
  'password-file': '~/.config/vm-password',
  'ca-file': 'ca-cert.pem',
};

/** The folder with links resolved; as given if it went away since it was checked (the engine says so then). */
function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return folder;
  }
}

/** What to do about each of shareFolderProblem's answers (others: choose another folder). */
const SHARE_FOLDER_ADVICE: Readonly<Record<string, string>> = {
  'it does not exist': 'create it or give an existing folder',
  'it is not a folder': 'give a folder',
  'your user may not read it': 'fix its permissions, or run spice-webdav as a user who may',
};

/** `given` is the option as the user gave it (with ~ expanded), for the message. */
function checkShareFolder(given: string, folder: string): void {
  const problem = shareFolderProblem(folder);
  if (problem !== undefined)
    throw new UsageError(
      `${given}: cannot share it, ${problem}; ${SHARE_FOLDER_ADVICE[problem] ?? 'choose another folder'}.`,
    );
}

/**
 * The words `--reconnect` takes after a space as well as after `=` (`--reconnect always`, as users type it):
 * none of them is an address, so taking one never swallows the address.
 */
const RECONNECT_WORDS: ReadonlySet<string> = new Set(['always', 'after-loss', 'off', 'never']);

/**
 * Before yargs sees argv: `--reconnect` takes any other value only as `--reconnect=VALUE`, so it never
 * swallows the address after it; a password on the command line (visible in `ps`) is refused with the ways
 * that work.
 */
function withOptionalValues(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  const result: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const next = argv[index + 1];
    if (end !== -1 && index > end) result.push(arg);
    else if (arg === '--password' || arg.startsWith('--password=')) {
      throw new UsageError(
        'There is no --password: a password on the command line is visible to every user in `ps`. ' +
          'Use --password-file FILE or the SPICE_PASSWORD environment variable.',
      );
    } else if (arg !== '--reconnect') result.push(arg);
    else if (next !== undefined && (end === -1 || index + 1 < end) && RECONNECT_WORDS.has(next)) {
      result.push(`--reconnect=${next}`);
      index += 1;
    } else result.push('--reconnect=');
  }
  return result;
}

/** What was typed for `--name VALUE` or `--name=VALUE` (the last one), or undefined. */
function typedValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (const [index, arg] of argv.entries()) {
    if (arg === `--${name}`) value = argv[index + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value;
}
