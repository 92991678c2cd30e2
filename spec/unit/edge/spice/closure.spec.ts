import { ChannelClosedError } from '../../../../src/edge/spice/channel-closed-error';
import { classifyClosure } from '../../../../src/edge/spice/closure';
import { SPICE_EXIT_CODES } from '../../../../src/edge/spice/errors';
import { ChannelType } from '../../../../src/wire/constants';

const closed = new ChannelClosedError(
  ChannelType.MAIN,
  { kind: 'tcp', host: '127.0.0.1', port: 5930, secure: false },
  'eof',
);

describe('classifyClosure', () => {
  it('calls it a kick when the server is still running', () => {
    const error = classifyClosure(closed, 'alive');
    expect(error.reason).toBe('kicked');
    expect(error.exitCode).toBe(SPICE_EXIT_CODES.kicked);
    expect(error.message).toMatch(/another SPICE client/);
  });

  it('calls it server-gone when nothing listens any more', () => {
    const error = classifyClosure(closed, 'gone');
    expect(error.reason).toBe('server-gone');
    expect(error.message).toMatch(/nothing listens/);
  });

  it('calls it server-gone when the server does not answer', () => {
    expect(classifyClosure(closed, 'no-answer').reason).toBe('server-gone');
  });

  it('names the new host after MIGRATE_SWITCH_HOST', () => {
    const error = classifyClosure(closed, 'alive', {
      migratedTo: { host: 'dst', port: 5900, tlsPort: 0 },
    });
    expect(error.reason).toBe('server-gone');
    expect(error.message).toMatch(/migrated to dst \(port 5900\)/);
  });

  it('quotes the new host name escaped and capped: the server chose it (issue 17)', () => {
    const host = `evil\x1b]0;title\x07\r\nspice-webdav: sharing /etc${'x'.repeat(1024 * 1024)}`;
    const error = classifyClosure(closed, 'alive', { migratedTo: { host, port: 5900, tlsPort: 0 } });
    expect(error.message).toMatch(
      /migrated to evil\\x1b\]0;title\\x07\\r\\nspice-webdav: sharing \/etcx+… \(port 5900\)/,
    );
    expect(error.message).not.toMatch(/[\x00-\x1f]/); // eslint-disable-line no-control-regex
    expect(error.message.length).toBeLessThan(500);
  });
});

describe('SPICE_EXIT_CODES', () => {
  it('gives every reason its own exit code', () => {
    const codes = Object.values(SPICE_EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
