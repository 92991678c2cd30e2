import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../../../../src/edge/cli/parse-command-line';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(args, env, '1.2.3');

describe('parseCommandLine', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connects with --direct and shares a folder read-only, as remote-viewer --spice-shared-dir would', () => {
    expect(parse(['--direct', '127.0.0.1:5900', '--spice-shared-dir', dir, '--read-only'])).toEqual({
      kind: 'connect',
      target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
      tls: {},
      password: undefined,
      passwordSource: { kind: 'none' },
      share: { path: dir, readOnly: true },
      shares: [],
      verbose: false,
      logFormat: 'human',
      reconnect: 'off',
      compression: 'auto',
      control: undefined,
      caPem: undefined,
      vvDeletionProblem: undefined,
    });
  });

  it('takes a spice:// URI, TLS options and the password from the environment', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '');
    const command = parse(
      ['spice://vm:5900', '--tls-port', '5901', '--ca-file', ca, '--host-subject', 'CN=vm'],
      {
        SPICE_PASSWORD: 'pw',
      },
    );
    expect(command).toMatchObject({
      kind: 'connect',
      target: { kind: 'tcp', host: 'vm', port: 5900, tlsPort: 5901 },
      tls: { caFile: ca, hostSubject: 'CN=vm' },
      password: 'pw',
    });
  });

  it('takes --secure-channels (spice-gtk names, or all) into the target; a .vv file is overridden by it', () => {
    expect(parse(['spice://vm?port=5900&tls-port=5901', '--secure-channels', 'main,webdav'])).toMatchObject({
      target: { kind: 'tcp', host: 'vm', port: 5900, tlsPort: 5901, secureChannels: ['main', 'webdav'] },
    });
    expect(parse(['vm:5900', '--tls-port', '5901', '--spice-secure-channels', 'all'])).toMatchObject({
      target: { secureChannels: 'all' },
    });
    expect(parse(['vm:5900'])).toMatchObject({ target: { kind: 'tcp', host: 'vm', port: 5900 } });
    const file = join(dir, 'ovirt.vv');
    writeFileSync(
      file,
      '[virt-viewer]\ntype=spice\nhost=vm\nport=5900\ntls-port=5901\nsecure-channels=main;webdav\n',
    );
    expect(parse([file])).toMatchObject({ target: { secureChannels: ['main', 'webdav'] } });
    expect(parse([file, '--secure-channels', 'main'])).toMatchObject({
      target: { secureChannels: ['main'] },
    });
  });

  it('reads the password from --password-file, dropping one trailing newline', () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'sesame\n');
    expect(parse(['vm:5900', '--password-file', file])).toMatchObject({ password: 'sesame' });
  });

  it('runs the built-in demo when no VM is given', () => {
    expect(parse([])).toEqual({ kind: 'demo', shareDir: undefined, verbose: false });
    expect(parse(['demo', '--share-dir', dir, '-v'])).toEqual({ kind: 'demo', shareDir: dir, verbose: true });
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
    [
      ['vm:5900', '--secure-channels', 'main,webadv'],
      /--secure-channels "main,webadv": "webadv" is not a SPICE channel/,
    ],
    [['spice+unix:///run/vm.sock', '--secure-channels', 'all'], /does not apply to a unix socket/],
    [
      ['-c', 'qemu:///system', 'vm', '--secure-channels', 'main'],
      /--secure-channels does not go with -c yet/,
    ],
    [
      ['vm:5900', '--tls-port', '5901', '--host-subject', 'bad'],
      /--host-subject: The host subject "bad" is malformed/,
    ],
  ])('refuses %j with a usage error that says what to do', (args, message) => {
    expect(() => parse(args)).toThrow(message);
  });

  it('takes the last value of an option given twice, as the systemd unit adds EXTRA_ARGS after its own', () => {
    // Each of these was an array to the checks after yargs: "value.trim is not a function", exit 1.
    expect(
      parse(['-c', 'qemu:///a', '-c', 'qemu:///system', 'vm', '--wait', '--reconnect', '--reconnect=always']),
    ).toMatchObject({
      reconnect: 'always',
      target: { kind: 'libvirt', uri: 'qemu:///system', domain: 'vm' },
    });
    const other = join(dir, 'other');
    mkdirSync(other, { recursive: true });
    expect(
      parse([
        'vm:5900',
        '--share-dir',
        dir,
        '--share-dir',
        other,
        '--compression',
        'off',
        '--compression',
        'on',
        '--control',
        join(dir, 'a.sock'),
        '--control',
        join(dir, 'b.sock'),
        '--tls-port',
        '5901',
        '--tls-port',
        '5902',
        '--secure-channels',
        'main',
        '--secure-channels',
        'all',
        '--host-subject',
        'CN=a',
        '--host-subject',
        'CN=b',
      ]),
    ).toMatchObject({
      share: { path: other },
      compression: 'on',
      control: join(dir, 'b.sock'),
      target: { tlsPort: 5902, secureChannels: 'all' },
      tls: { hostSubject: 'CN=b' },
    });
  });

  it('never lets --reconnect take the address: a value only with =', () => {
    expect(parse(['--reconnect', '127.0.0.1:5900'])).toMatchObject({
      kind: 'connect',
      target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
      reconnect: 'after-loss',
    });
    expect(parse(['--reconnect=always', '127.0.0.1:5900'])).toMatchObject({ reconnect: 'always' });
  });

  it('takes --reconnect always with a space too, as users type it, and still never an address', () => {
    expect(parse(['127.0.0.1:5900', '--reconnect', 'always'])).toMatchObject({
      target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
      reconnect: 'always',
    });
    expect(parse(['--direct', '127.0.0.1:5900', '--reconnect', 'always'])).toMatchObject({
      reconnect: 'always',
    });
    expect(parse(['--reconnect', 'never', '127.0.0.1:5900'])).toMatchObject({ reconnect: 'off' });
    expect(parse(['--reconnect', 'after-loss', '127.0.0.1:5900'])).toMatchObject({ reconnect: 'after-loss' });
    // Any other word after it is the address, as before; after `--` nothing is an option.
    expect(parse(['--reconnect', 'vmhost:5900'])).toMatchObject({
      target: { kind: 'tcp', host: 'vmhost', port: 5900 },
      reconnect: 'after-loss',
    });
    expect(() => parse(['127.0.0.1:5900', '--reconnect', 'sometimes'])).toThrow(/sometimes/);
  });

  it('never runs the demo when a connection option was given without an address', () => {
    expect(() => parse(['--reconnect'])).toThrow(/No SPICE address given, though --reconnect was/);
    expect(() => parse(['--control', join(dir, 'sw.sock')])).toThrow(/No SPICE address given/);
    // The demo writes into a folder of the user's only when asked by name: `demo --share-dir DIR`.
    expect(() => parse(['--share-dir', dir])).toThrow(/No SPICE address given, though --share-dir was/);
    // A script that asked for JSON lines and lost its address gets an error, not a VM booting.
    expect(() => parse(['--log-format', 'json'])).toThrow(/No SPICE address given, though --log-format was/);
    expect(parse(['--log-format', 'human'])).toMatchObject({ kind: 'demo' });
  });

  it('refuses --ca-file and --host-subject where no TLS connection will be made', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    expect(() => parse(['127.0.0.1:5900', '--ca-file', ca])).toThrow(
      /--ca-file is for TLS, and no TLS port is known: give the VM's SPICE tls-port/,
    );
    expect(() => parse(['127.0.0.1:5900', '--host-subject', 'CN=vm', '--ca-file', ca])).toThrow(
      /--ca-file and --host-subject are for TLS/,
    );
    expect(() => parse([`spice+unix://${join(dir, 's.sock')}`, '--ca-file', ca])).toThrow(
      /a unix socket does not use/,
    );
    expect(parse(['127.0.0.1:5900', '--tls-port', '5901', '--ca-file', ca])).toMatchObject({
      kind: 'connect',
      tls: { caFile: ca },
    });
    expect(parse(['spice://127.0.0.1?tls-port=5901', '--ca-file', ca])).toMatchObject({ kind: 'connect' });
  });

  it.each([
    [
      ['--share-dir', '/nonexistent/folder'],
      /--share-dir \/nonexistent\/folder: cannot share it, it does not exist; create it or give an existing folder/,
    ],
    [['--share-dir', '/etc/passwd'], /cannot share it, it is not a folder; give a folder\./],
    [['--share-dir'], /--share-dir needs a value/],
    [
      ['--share', 'a=/nonexistent/folder'],
      /--share a=\/nonexistent\/folder: cannot share it, it does not exist/,
    ],
    [
      ['--control', '/nonexistent/folder/sw.sock'],
      /its folder \/nonexistent\/folder does not exist; create it/,
    ],
    [['--control', `/tmp/${'x'.repeat(120)}.sock`], /the path is 130 bytes, more than the 107 a unix socket/],
    [
      ['--secure-channels', 'webdav'],
      /--secure-channels requires TLS for the webdav channel, and no TLS port/,
    ],
    [['--secure-channels', 'all'], /requires TLS for the main and webdav channel/],
    [['--tls-port', 'abc'], /--tls-port "abc" is not a port number \(1-65535\)/],
    [['--tls-port=70000'], /--tls-port 70000 is not a port number/],
    [['--password', 'x'], /There is no --password.*--password-file FILE or the SPICE_PASSWORD/],
    [['--password=x'], /There is no --password/],
    [['--ca-file', '/nonexistent/ca.pem'], /--ca-file \/nonexistent\/ca.pem: it does not exist; give the CA/],
  ])('checks %j before connecting, with one sentence saying what to do', (args, message) => {
    expect(() => parse(['vm:5900', ...args])).toThrow(message);
  });

  it('says -c and --direct are two ways to name the VM, when both are given', () => {
    expect(() => parse(['-c', 'qemu:///system', 'vm', '--direct', '127.0.0.1:5900'])).toThrow(
      /-c names a libvirt domain .* and --direct an address: give one of them/,
    );
  });

  it('refuses a share folder that is a file, and a demo folder that does not exist', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => parse(['vm:5900', '--share-dir', file])).toThrow(/it is not a folder/);
    expect(() => parse(['demo', '--share-dir', join(dir, 'nope')])).toThrow(/it does not exist/);
  });

  it('expands ~ where no shell did: --spice-shared-dir=~/x, --share h=~/, --control=~/sock', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'x'), { recursive: true });
    const env = { HOME: home };
    expect(parse(['vm:5900', '--spice-shared-dir=~/x'], env)).toMatchObject({
      share: { path: join(home, 'x') },
    });
    expect(parse(['vm:5900', '--share', 'h=~/', '--control=~/sw.sock'], env)).toMatchObject({
      shares: [{ name: 'h', path: home, readOnly: false }],
      control: join(home, 'sw.sock'),
    });
  });

  it('reads a connection file that does not end in .vv, and says clearly when a file is no .vv file', () => {
    const file = join(dir, 'console.vv.txt');
    writeFileSync(file, '[virt-viewer]\ntype=spice\nhost=vmhost\nport=5900\n');
    expect(parse([file])).toMatchObject({ target: { kind: 'tcp', host: 'vmhost', port: 5900 } });
    const other = join(dir, 'notes.txt');
    writeFileSync(other, 'hello\n');
    expect(() => parse([other])).toThrow(
      /notes.txt is not a usable virt-viewer file: it has no \[virt-viewer\]/,
    );
  });

  describe('a .vv file', () => {
    const vv = (name: string, body: string): string => {
      const file = join(dir, name);
      writeFileSync(file, `[virt-viewer]\n${body}`);
      return file;
    };

    it('gets its own password= or none, never $SPICE_PASSWORD', () => {
      const without = vv('no-password.vv', 'type=spice\nhost=elsewhere.example\nport=5900\n');
      expect(parse([without], { SPICE_PASSWORD: 'mine' })).toMatchObject({
        password: undefined,
        passwordSource: { kind: 'none', vvFile: without },
      });
      const withOwn = vv('own.vv', 'type=spice\nhost=h\nport=5900\npassword=theirs\n');
      expect(parse([withOwn], { SPICE_PASSWORD: 'mine' })).toMatchObject({
        password: 'theirs',
        passwordSource: { kind: 'vv-file', path: withOwn },
      });
      const pw = join(dir, 'explicit-pw');
      writeFileSync(pw, 'explicit\n');
      expect(parse([without, '--password-file', pw], { SPICE_PASSWORD: 'mine' })).toMatchObject({
        password: 'explicit',
        passwordSource: { kind: 'password-file', path: pw },
      });
    });

    it.each([
      [
        'an unreadable --password-file',
        'type=spice\nhost=h\nport=5900\n',
        ['--password-file', '/nonexistent/pw'],
      ],
      ['type=vnc', 'type=vnc\nhost=h\nport=5900\n', []],
      ['a bad port=', 'type=spice\nhost=h\nport=http\n', []],
    ])('with delete-this-file=1 is deleted even when the run fails on %s', (_what, body, args) => {
      const file = vv('one-time.vv', `${body}password=one-time\ndelete-this-file=1\n`);
      expect(() => parse([file, ...args])).toThrow();
      expect(existsSync(file)).toBe(false);
    });

    it('with delete-this-file=1 is deleted once read when all goes well, and kept without it', () => {
      const deleted = vv('deleted.vv', 'type=spice\nhost=h\nport=5900\ndelete-this-file=1\n');
      expect(parse([deleted])).toMatchObject({ kind: 'connect', vvDeletionProblem: undefined });
      expect(existsSync(deleted)).toBe(false);
      const kept = vv('kept.vv', 'type=spice\nhost=h\nport=5900\n');
      parse([kept]);
      expect(existsSync(kept)).toBe(true);
    });
  });

  it('lists only what the demo takes in demo --help, and refuses connection options there', () => {
    const help = parse(['demo', '--help']);
    expect(help.kind === 'done' && help.output).toContain('--share-dir');
    expect(help.kind === 'done' && help.output).not.toMatch(/--reconnect|--control|--password-file|target/);
    expect(() => parse(['demo', '--reconnect'])).toThrow(/Unknown argument: reconnect/);
  });

  it('takes the address as typed: a bare number is no address (and never the demo)', () => {
    expect(() => parse(['5900'])).toThrow(/"5900" has no port/);
    expect(() => parse(['0x10'])).toThrow(/"0x10" has no port/);
    // A folder where the address goes: --share-dir was meant.
    expect(() => parse(['~/Shared'])).toThrow(
      /"~\/Shared" has no port.*To share the folder ~\/Shared, give it with --share-dir/,
    );
  });
});
