import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../../../../src/edge/cli/parse-command-line';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(args, env, '1.2.3');

describe('parseCommandLine', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connects with --direct and shares a folder read-only, as remote-viewer --spice-shared-dir would', () => {
    expect(parse(['--direct', '127.0.0.1:5900', '--spice-shared-dir', '/srv/share', '--read-only'])).toEqual({
      kind: 'connect',
      target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
      tls: {},
      password: undefined,
      share: { path: '/srv/share', readOnly: true },
      shares: [],
      verbose: false,
      logFormat: 'human',
      reconnect: 'off',
      control: undefined,
      caPem: undefined,
      deleteFile: undefined,
    });
  });

  it('takes a spice:// URI, TLS options and the password from the environment', () => {
    const command = parse(
      ['spice://vm:5900', '--tls-port', '5901', '--ca-file', 'ca.pem', '--host-subject', 'CN=vm'],
      {
        SPICE_PASSWORD: 'pw',
      },
    );
    expect(command).toMatchObject({
      kind: 'connect',
      target: { kind: 'tcp', host: 'vm', port: 5900, tlsPort: 5901 },
      tls: { caFile: 'ca.pem', hostSubject: 'CN=vm' },
      password: 'pw',
    });
  });

  it('reads the password from --password-file, dropping one trailing newline', () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'sesame\n');
    expect(parse(['vm:5900', '--password-file', file])).toMatchObject({ password: 'sesame' });
  });

  it('runs the built-in demo when no VM is given', () => {
    expect(parse([])).toEqual({ kind: 'demo', shareDir: undefined, verbose: false });
    expect(parse(['demo', '--share-dir', '/tmp/x', '-v'])).toEqual({
      kind: 'demo',
      shareDir: '/tmp/x',
      verbose: true,
    });
  });

  it('prints help and version through yargs', () => {
    expect(parse(['--version'])).toEqual({ kind: 'done', output: '1.2.3' });
    const help = parse(['--help']);
    expect(help.kind).toBe('done');
    expect(help.kind === 'done' && help.output).toContain('--share-dir');
  });

  it.each([
    [['--bogus'], /Unknown argument: bogus/],
    [['vm:5900', '--read-only'], /--read-only needs --share-dir/],
    [['vm:5900', '--direct', 'vm:5901'], /either --direct HOST:PORT or a positional address/],
    [['vm:5900', '--password-file', '/nonexistent/pw'], /Cannot read the password file/],
    [['vm:5900', '--tls-port', '0'], /not a port number/],
  ])('refuses %j with a usage error that says what to do', (args, message) => {
    expect(() => parse(args)).toThrow(message);
  });
});
