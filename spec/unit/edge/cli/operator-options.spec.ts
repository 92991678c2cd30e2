import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEvent, formatEventJson } from '../../../../src/edge/cli/format-event';
import { parseCommandLine } from '../../../../src/edge/cli/parse-command-line';
import { parseShareOption } from '../../../../src/edge/cli/parse-share-option';
import { TerminalOutput } from '../../../../src/edge/cli/terminal-output';
import { Writable } from 'node:stream';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(args, env, '1.2.3');

describe('CLI options for operators', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spice-webdav-cli-ops-'));
    for (const folder of ['docs', 'media']) mkdirSync(join(dir, folder));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes --share NAME=DIR[:ro] repeatedly, each with its own read-only flag', () => {
    const command = parse([
      '127.0.0.1:5900',
      '--share',
      `docs=${dir}/docs`,
      '--share',
      `media=${dir}/media:ro`,
    ]);
    expect(command).toMatchObject({
      kind: 'connect',
      share: undefined,
      shares: [
        { name: 'docs', path: `${dir}/docs`, readOnly: false },
        { name: 'media', path: `${dir}/media`, readOnly: true },
      ],
    });
    expect(parseShareOption('a=rel/dir:rw', '/home/me')).toEqual({
      name: 'a',
      path: '/home/me/rel/dir',
      readOnly: false,
    });
  });

  it.each([
    [['--share', 'nodir'], /NAME=DIR/],
    [['--share', 'a=/x', '--share', 'A=/y'], /used twice/],
    [['--share', 'a=/x', '--share', 'b=/x/y/'], /shares "a" and "b" overlap \(\/x\/y is inside \/x\)/],
    [['--share', 'rw=/x', '--share', 'ro=/x/.:ro'], /are the same folder \(\/x\)/],
    [['--share', 'a/b=/x'], /slash/],
    [['--share', 'a='], /folder is missing/],
    [['--share', 'a=/x', '--share-dir', '/'], /either --share-dir/],
    [['--share', 'a=/x', '--read-only'], /:ro/],
    [['--log-format', 'xml'], /Invalid values|choices/i],
  ])('refuses %j with advice', (args, message) => {
    expect(() => parse(['127.0.0.1:5900', ...args])).toThrow(message);
  });

  it('refuses folders that overlap through a link before connecting', () => {
    symlinkSync(join(dir, 'docs'), join(dir, 'docs-link'));
    expect(() =>
      parse(['127.0.0.1:5900', '--share', `a=${dir}/docs`, '--share', `b=${dir}/docs-link`]),
    ).toThrow(/--share: shares "a" and "b" are the same folder/);
  });

  it('takes --log-format json and --control PATH', () => {
    expect(parse(['127.0.0.1:5900', '--log-format', 'json', '--control', '/run/sw.sock'])).toMatchObject({
      logFormat: 'json',
      control: '/run/sw.sock',
    });
  });

  it('takes the last --log-format given, as every option (a unit file may repeat one in EXTRA_ARGS)', () => {
    const format = (...values: string[]) =>
      parse(['127.0.0.1:5900', ...values.flatMap((value) => ['--log-format', value])]);
    expect(format('json', 'json')).toMatchObject({ logFormat: 'json' });
    expect(format('human', 'json')).toMatchObject({ logFormat: 'json' });
    expect(format('json', 'human')).toMatchObject({ logFormat: 'human' });
    expect(() => format('json', 'xml')).toThrow(/Invalid values|choices/i);
  });

  it('connects from a .vv file; the command line wins over the file', () => {
    const file = join(dir, 'console.vv');
    const text =
      '[virt-viewer]\ntype=spice\nhost=vmhost\nport=5900\ntls-port=5901\npassword=secret\n' +
      'ca=-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\nhost-subject=CN=vmhost\ndelete-this-file=1\n';
    writeFileSync(file, text);
    expect(parse([file, '--share-dir', dir])).toMatchObject({
      kind: 'connect',
      target: { kind: 'tcp', host: 'vmhost', port: 5900, tlsPort: 5901 },
      tls: { hostSubject: 'CN=vmhost' },
      password: 'secret',
      caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      vvDeletionProblem: undefined,
    });
    expect(existsSync(file)).toBe(false); // delete-this-file=1: gone as soon as it was read
    writeFileSync(file, text);
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'other\n');
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '');
    expect(parse([file, '--password-file', pw, '--ca-file', ca])).toMatchObject({
      password: 'other',
      tls: { caFile: ca, hostSubject: 'CN=vmhost' },
      caPem: undefined,
    });
    expect(() => parse([join(dir, 'missing.vv')])).toThrow(/Cannot read the connection file/);
  });

  it('writes JSON events with a time, and keeps per-frame traffic out of both logs', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(JSON.parse(formatEventJson({ kind: 'port-opened' }, at) ?? '')).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      kind: 'port-opened',
    });
    const traffic = { kind: 'traffic', id: '1', direction: 'in', bytes: 5 } as const;
    expect(formatEventJson(traffic, at)).toBeUndefined();
    expect(formatEvent(traffic, true)).toBeUndefined();
  });

  it('prints server and guest text escaped and capped, in both logs (issue 17)', () => {
    const forged = '\x1b[2J\x1b]0;owned\x07done\r\nspice-webdav: sharing /etc\u202e';
    const line = formatEvent({ kind: 'server-notice', message: forged }, false) ?? '';
    expect(line).toBe(
      'SPICE server says: \\x1b[2J\\x1b]0;owned\\x07done\\r\\nspice-webdav: sharing /etc\\u202e',
    );
    const long = formatEvent({ kind: 'server-notice', message: 'A'.repeat(1024 * 1024) }, false) ?? '';
    expect(long.length).toBeLessThan(300);
    const at = new Date('2026-01-02T03:04:05.000Z');
    const json =
      formatEventJson({ kind: 'server-notice', message: `${forged}${'A'.repeat(1024 * 1024)}` }, at) ?? '';
    expect(json).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/); // eslint-disable-line no-control-regex
    expect(json.length).toBeLessThan(400);
    expect(JSON.parse(json)).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      kind: 'server-notice',
      message: `${forged}${'A'.repeat(200 - forged.length)}…`,
    });
  });

  it('prints share paths and names from the control socket, and a .vv file host, escaped (session 25)', () => {
    const evil = '/nonexist\x1b]0;PWNED\x07\x1b[2J\rspice-webdav: sharing /etc\nspice-webdav: x\u009b31m';
    const shown =
      '/nonexist\\x1b]0;PWNED\\x07\\x1b[2J\\rspice-webdav: sharing /etc\\nspice-webdav: x\\x9b31m';
    const failed = { kind: 'share-failed', share: { path: evil, readOnly: false }, message: 'no' } as const;
    expect(formatEvent(failed, false)).toBe(`cannot share ${shown}: no`);
    const named = {
      kind: 'sharing-started',
      share: { shares: [{ name: 'n\u202e', path: evil, readOnly: true }] },
    };
    expect(formatEvent(named as never, false)).toBe(`sharing n\\u202e=${shown} (read-only)`);
    const written: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        written.push(chunk.toString());
        done();
      },
    });
    new TerminalOutput(sink, sink).log(`Cannot reach 127.0.0.1\x1b]0;VVPWN\x07\x1b[2J:1 (x)\nline two`);
    expect(written.join('')).toBe('Cannot reach 127.0.0.1\\x1b]0;VVPWN\\x07\\x1b[2J:1 (x)\nline two\n');
  });

  it('says what went wrong before reconnecting, whole, and that the next attempt is its own', () => {
    const message =
      'The SPICE server at 127.0.0.1:5900 went away: it closed the session and nothing listens there any more. ' +
      'The VM was shut down or QEMU exited; start it and connect again.';
    const line = formatEvent(
      { kind: 'reconnecting', reason: 'server-gone', message, attempt: 1, delayMs: 1000 },
      false,
    );
    expect(line).toBe(`${message} Reconnecting in 1 s (attempt 1).`);
    // A sentence inside the cause (ssh's own error) is kept: the line is never cut inside it.
    const ssh = 'No TLS answer from h:5901 (ssh: Warning: added h. Connection refused).';
    expect(
      formatEvent(
        { kind: 'reconnecting', reason: 'unreachable', message: ssh, attempt: 2, delayMs: 2000 },
        false,
      ),
    ).toContain('(ssh: Warning: added h. Connection refused). Reconnecting in 2 s (attempt 2).');
  });

  it('says in one line, without --verbose, when the guest stream had to be resynced', () => {
    const line = formatEvent({ kind: 'stream-resynced', skippedBytes: 4321 }, false) ?? '';
    expect(line).toMatch(/dropped 4321 bytes .* before this connection/);
    expect(line).not.toContain('\n');
  });

  it('clears the progress line before a log line and redraws it in place', () => {
    const written: string[] = [];
    const sink = (prefix: string) =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          written.push(prefix + chunk.toString());
          done();
        },
      });
    const output = new TerminalOutput(sink('out:'), sink('err:'));
    output.progress('1 file');
    output.log('hello');
    output.progress(undefined);
    expect(written).toEqual(['out:\r\x1b[K1 file', 'out:\r\x1b[K', 'err:hello\n']);
  });

  it('puts a line typed over the progress line back on its own line; the next tick redraws below it', () => {
    const written: string[] = [];
    const output = new TerminalOutput(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          written.push(chunk.toString());
          done();
        },
      }),
      new Writable({ write: (_c, _e, done) => done() }),
    );
    output.progress('16.4 MiB/s');
    output.typed('status'); // the terminal showed "16.4 MiB/sstatus" and moved to the next line
    output.data('channel: webdav channel up');
    output.progress('16.5 MiB/s');
    expect(written).toEqual([
      '\r\x1b[K16.4 MiB/s',
      '\x1b[1A\r\x1b[Kstatus\n',
      'channel: webdav channel up\n',
      '\r\x1b[K16.5 MiB/s',
    ]);
  });
});

describe('a share that failed, in the log', () => {
  it('is the engine message alone when it names the folder, else the share and the message', () => {
    const engineMessage = 'The folder to share, "/nope", does not exist: create it or choose another folder.';
    const failed = {
      kind: 'share-failed',
      share: { path: '/nope', readOnly: false },
      message: engineMessage,
    } as const;
    expect(formatEvent(failed, false)).toBe(engineMessage);
    expect(formatEvent({ ...failed, message: 'no such folder' }, false)).toBe(
      'cannot share /nope: no such folder',
    );
  });
});
