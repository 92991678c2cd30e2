import { parseVvFile } from '../../../../src/edge/vv-file/parse-vv-file';
import { looksLikeVvFile } from '../../../../src/edge/vv-file/read-vv-file';

describe('virt-viewer .vv files', () => {
  it('reads the [virt-viewer] section as remote-viewer does', () => {
    const text = [
      '# written by virt-manager',
      '[ovirt]',
      'host=not-this-one',
      '[virt-viewer]',
      'type=spice',
      'host=10.0.0.5',
      'port=-1',
      'tls-port=5901',
      'password=p\\sw\\\\d',
      'ca=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n',
      'host-subject=C=XX,L=city,O=org,CN=host',
      'delete-this-file=1',
      'title=My VM',
      'fullscreen=0',
    ].join('\r\n');
    expect(parseVvFile(text)).toEqual({
      kind: 'ok',
      connection: {
        target: { kind: 'tcp', host: '10.0.0.5', tlsPort: 5901 },
        password: 'p w\\d',
        caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        hostSubject: 'C=XX,L=city,O=org,CN=host',
        deleteThisFile: true,
      },
    });
  });

  it.each([
    ['[other]\ntype=spice', /no \[virt-viewer\]/],
    ['[virt-viewer]\nhost=h\nport=1', /no type=/],
    ['[virt-viewer]\ntype=vnc\nhost=h\nport=5900', /only speaks SPICE/],
    ['[virt-viewer]\ntype=spice\nport=5900', /no host=/],
    ['[virt-viewer]\ntype=spice\nhost=h', /no port= and no tls-port=/],
    ['[virt-viewer]\ntype=spice\nhost=h\nport=99999', /not a port number/],
  ])('explains what is wrong with %j', (text, message) => {
    const result = parseVvFile(text);
    expect(result.kind).toBe('error');
    if (result.kind === 'error') expect(result.message).toMatch(message);
  });

  it("reads oVirt's secure-channels= list, and all", () => {
    const file = (list: string) =>
      `[virt-viewer]\ntype=spice\nhost=h\nport=5900\ntls-port=5901\nsecure-channels=${list}\n`;
    expect(
      parseVvFile(file('main;inputs;cursor;playback;record;display;smartcard;usbredir;webdav')),
    ).toMatchObject({
      kind: 'ok',
      connection: {
        target: {
          secureChannels: [
            'main',
            'inputs',
            'cursor',
            'playback',
            'record',
            'display',
            'smartcard',
            'usbredir',
            'webdav',
          ],
        },
      },
    });
    expect(parseVvFile(file('all'))).toMatchObject({ connection: { target: { secureChannels: 'all' } } });
    const empty = parseVvFile(file(''));
    expect(empty.kind === 'ok' && empty.connection.target).toEqual({
      kind: 'tcp',
      host: 'h',
      port: 5900,
      tlsPort: 5901,
    });
    expect(parseVvFile(file('main;webadv'))).toEqual({
      kind: 'error',
      message: expect.stringMatching(/^secure-channels=: "webadv" is not a SPICE channel/) as unknown,
    });
  });

  it('keeps the file when delete-this-file is absent, and tells .vv files from addresses', () => {
    const result = parseVvFile('[virt-viewer]\ntype=spice\nhost=h\nport=5900\n');
    expect(result.kind === 'ok' && result.connection.deleteThisFile).toBe(false);
    expect(looksLikeVvFile('/tmp/console.vv')).toBe(true);
    expect(looksLikeVvFile('spice://h:5900')).toBe(false);
    expect(looksLikeVvFile('127.0.0.1:5900')).toBe(false);
  });
});
