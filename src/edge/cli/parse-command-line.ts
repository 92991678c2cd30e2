import yargs from 'yargs';
import type { NamedShare } from '../../webdav/multi-share/share-name';
import type { SpiceTarget, SpiceTlsOptions } from '../spice/target';
import { looksLikeVvFile, readVvFile } from '../vv-file/read-vv-file';
import { parseShareOptions } from './parse-share-option';
import { parseTarget } from './parse-target';
import { readPassword } from './read-password';
import { UsageError } from './usage-error';
import { reconnectModeFromOption } from './reconnect-option';
import type { ReconnectMode } from '../sharing/reconnect';
import type { LibvirtTarget } from '../libvirt/libvirt-target';
import { libvirtTargetFromOptions } from './libvirt-option';

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
      readonly share: ShareRequest | undefined;
      /** --share NAME=DIR[:ro], in order; empty when not given. */
      readonly shares: readonly NamedShare[];
      readonly verbose: boolean;
      readonly logFormat: LogFormat;
      /** --reconnect[=always]: connect again after a loss ('off' without the option). */
      readonly reconnect: ReconnectMode;
      /** --control PATH: a unix socket taking JSON-line commands. */
      readonly control: string | undefined;
      /** The CA certificate from a .vv file's ca= (the CLI writes it to a private temp file). */
      readonly caPem: string | undefined;
      /** The .vv file we connected from, to delete once read when it says delete-this-file=1. */
      readonly deleteFile: string | undefined;
    }
  | { readonly kind: 'demo'; readonly shareDir: string | undefined; readonly verbose: boolean }
  /** --help or --version: yargs has printed it already. */
  | { readonly kind: 'done'; readonly output: string };

const EPILOG = `Examples:
  spice-webdav -c qemu:///system myvm --share-dir ~/Shared --wait --reconnect   (a libvirt domain)
  spice-webdav --direct 127.0.0.1:5900 --share-dir ~/Shared
  spice-webdav spice://vmhost:5900?tls-port=5901 --ca-file ca-cert.pem --share-dir ./out --read-only
  spice-webdav 127.0.0.1:5900 --share docs=~/Documents --share music=~/Music:ro --control /tmp/sw.sock
  spice-webdav ~/Downloads/console.vv --share-dir .      (a virt-viewer connection file)
  SPICE_PASSWORD=secret spice-webdav spice+unix:///run/vm/spice.sock --share-dir .
  spice-webdav demo          (boots a tiny test VM and shows folder sharing end to end)

While it runs: type share DIR [read-only], stop or status (when stdin is a terminal), or send
{"command":"status"} lines to the --control socket.
Inside a Linux guest with spice-webdavd: http://127.0.0.1:9843/ (davfs2) or dav://localhost:9843/ (GNOME Files).
Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage, 10 refused, 11 unreachable, 12 TLS, 13 wrong password,
14 no webdav port, 15 kicked by another client, 16 server gone, 17 protocol error, 18 libvirt not reachable
or refused access, 19 no such (running) domain, 20 domain without a reachable SPICE display.`;

export function commandLineParser(version: string) {
  return yargs()
    .scriptName('spice-webdav')
    .usage(
      '$0 [HOST:PORT | spice://HOST:PORT | spice+unix:///PATH | FILE.vv | -c URI DOMAIN] [options]\n\nShare a host folder into a VM over SPICE.',
    )
    .command('$0 [target]', false)
    .command('demo', 'boot a tiny test VM and share a folder into it, explaining each step')
    .positional('target', {
      type: 'string',
      describe: 'SPICE server address, a virt-viewer .vv file, or with -c a libvirt DOMAIN',
    })
    .option('connect', {
      type: 'string',
      alias: 'c',
      describe:
        'libvirt URI (qemu:///system, qemu+ssh://user@host/system): the target is then a DOMAIN name, id or UUID',
    })
    .option('wait', {
      type: 'boolean',
      default: false,
      describe: 'with -c: wait for the domain to exist and start',
    })
    .option('direct', { type: 'string', describe: 'SPICE server HOST:PORT (like ryll --direct)' })
    .option('tls-port', { type: 'number', describe: "the server's TLS port (QEMU -spice tls-port=)" })
    .option('ca-file', { type: 'string', alias: 'spice-ca-file', describe: 'CA certificate (PEM) for TLS' })
    .option('host-subject', {
      type: 'string',
      alias: 'spice-host-subject',
      describe: 'expected server certificate subject, e.g. "C=XX,L=city,O=org,CN=host"',
    })
    .option('password-file', {
      type: 'string',
      describe: 'file holding the SPICE password (else $SPICE_PASSWORD)',
    })
    .option('share-dir', {
      type: 'string',
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
      describe: 'NAME=DIR[:ro]: share DIR as the folder NAME of a virtual root (repeatable; :ro = read-only)',
    })
    .option('control', {
      type: 'string',
      describe: 'unix socket (mode 0600) taking JSON-line commands: share, stop, status',
    })
    .option('log-format', {
      choices: ['human', 'json'] as const,
      default: 'human' as const,
      describe: 'human: short lines on stderr; json: one JSON object per event on stdout',
    })
    .option('reconnect', {
      type: 'string',
      describe:
        'connect again (with backoff) when the SPICE server goes away or the connection is cut; ' +
        '--reconnect=always also when another SPICE client took over',
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
    .wrap(Math.min(110, process.stdout.columns ?? 110));
}

/** Turns argv into one typed command; every mistake is a UsageError whose message says how to fix it. */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  version: string,
): CliCommand {
  let output = '';
  let failure: string | undefined;
  const parsed = commandLineParser(version)
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      failure = message ?? error?.message ?? 'invalid command line';
    })
    .parseSync([...argv], {}, (_err: Error | undefined, _argv: unknown, text: string) => {
      output = text;
    });
  if (failure !== undefined) throw new UsageError(`${failure}. Try --help.`);
  if (output !== '') return { kind: 'done', output };

  const verbose = parsed.verbose;
  const logFormat: LogFormat = parsed['log-format'];
  const shareDir = parsed['share-dir'];
  if (parsed._[0] === 'demo') return { kind: 'demo', shareDir, verbose };

  const address = parsed.direct ?? parsed.target;
  if (parsed.direct !== undefined && parsed.target !== undefined) {
    throw new UsageError('Give the SPICE address once: either --direct HOST:PORT or a positional address.');
  }
  if (address === undefined) {
    if (parsed.connect !== undefined)
      throw new UsageError('-c URI needs a DOMAIN: a name, id or UUID from `virsh list --all`.');
    if (parsed.wait) throw new UsageError('--wait applies to a libvirt domain: give -c URI DOMAIN.');
    return { kind: 'demo', shareDir, verbose };
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
  const libvirtTarget = libvirtTargetFromOptions({
    connect: parsed.connect,
    wait: parsed.wait,
    domain: address,
    direct: parsed.direct,
    tlsPort: parsed['tls-port'],
  });
  const shares = parseShareOptions(shareOptions, process.cwd());
  const common = {
    share: shareDir === undefined ? undefined : { path: shareDir, readOnly: parsed['read-only'] },
    shares,
    verbose,
    logFormat,
    reconnect: reconnectModeFromOption(parsed.reconnect),
    control: parsed.control,
  };
  if (libvirtTarget !== undefined) {
    return {
      kind: 'connect',
      target: libvirtTarget,
      tls: {
        ...(parsed['ca-file'] === undefined ? {} : { caFile: parsed['ca-file'] }),
        ...(parsed['host-subject'] === undefined ? {} : { hostSubject: parsed['host-subject'] }),
      },
      password: readPassword(parsed['password-file'], env),
      caPem: undefined,
      deleteFile: undefined,
      ...common,
    };
  }
  if (parsed.direct === undefined && looksLikeVvFile(address)) {
    if (parsed['tls-port'] !== undefined) {
      throw new UsageError('--tls-port does not go with a .vv file: the file gives tls-port= itself.');
    }
    const vv = readVvFile(address);
    // Options given on the command line win over the file, as they do for remote-viewer.
    const caFile = parsed['ca-file'];
    const hostSubject = parsed['host-subject'] ?? vv.hostSubject;
    const commandLinePassword = readPassword(parsed['password-file'], env);
    return {
      kind: 'connect',
      target: vv.target,
      tls: {
        ...(caFile === undefined ? {} : { caFile }),
        ...(hostSubject === undefined ? {} : { hostSubject }),
      },
      password:
        parsed['password-file'] !== undefined ? commandLinePassword : (vv.password ?? commandLinePassword),
      caPem: caFile === undefined ? vv.caPem : undefined,
      deleteFile: vv.deleteThisFile ? address : undefined,
      ...common,
    };
  }
  const tlsPort = parsed['tls-port'];
  if (tlsPort !== undefined && (!Number.isInteger(tlsPort) || tlsPort < 1 || tlsPort > 65535)) {
    throw new UsageError(`--tls-port ${tlsPort} is not a port number (1-65535).`);
  }
  const tls: SpiceTlsOptions = {
    ...(parsed['ca-file'] === undefined ? {} : { caFile: parsed['ca-file'] }),
    ...(parsed['host-subject'] === undefined ? {} : { hostSubject: parsed['host-subject'] }),
  };
  return {
    kind: 'connect',
    target: parseTarget(address, tlsPort),
    tls,
    password: readPassword(parsed['password-file'], env),
    caPem: undefined,
    deleteFile: undefined,
    ...common,
  };
}
