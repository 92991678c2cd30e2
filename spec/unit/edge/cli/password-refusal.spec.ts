import { passwordRefusalMessage } from '../../../../src/edge/cli/password-refusal';
import { classifyLinkFailure } from '../../../../src/edge/spice/link-failure';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import { ChannelType, LinkErrorCode } from '../../../../src/wire/constants';
import { linkErrorFor } from '../../../../src/wire/errors';

const refused = classifyLinkFailure(linkErrorFor(LinkErrorCode.PERMISSION_DENIED), ChannelType.MAIN, {
  kind: 'tcp',
  host: 'vm',
  port: 5900,
  secure: false,
});

describe('the password refusal, as the CLI words it', () => {
  it.each([
    [
      { kind: 'none' } as const,
      /needs a password and none was given: .*--password-file FILE, or set SPICE_PASSWORD/,
    ],
    [
      { kind: 'none', vvFile: '/d/c.vv' } as const,
      /\/d\/c.vv has no password=: give it with --password-file FILE/,
    ],
    [{ kind: 'vv-file', path: '/d/c.vv' } as const, /refused the password in \/d\/c.vv: .*get a fresh file/],
    [
      { kind: 'password-file', path: '/p' } as const,
      /refused the password in \/p: it is wrong or has expired/,
    ],
    [{ kind: 'environment' } as const, /refused the password in SPICE_PASSWORD/],
    // Empty is not "wrong or expired": the user forgot to fill it in.
    [
      { kind: 'environment', empty: true } as const,
      /SPICE_PASSWORD is empty: set it to the VM's SPICE password/,
    ],
    [
      { kind: 'password-file', path: '/p', empty: true } as const,
      /\/p is empty: write the VM's SPICE password/,
    ],
  ])('names where the password came from (%j)', (source, message) => {
    expect(passwordRefusalMessage(refused, source)).toMatch(message);
  });

  it('leaves every other failure its own message', () => {
    expect(
      passwordRefusalMessage(new SpiceConnectionError('refused', 'x'), { kind: 'none' }),
    ).toBeUndefined();
  });
});

describe('the password refusal, as the library words it', () => {
  const endpoint = { kind: 'tcp', host: 'vm', port: 5900, secure: false } as const;
  const denied = linkErrorFor(LinkErrorCode.PERMISSION_DENIED);

  it('says a password is needed when none was given, and that it was refused when one was', () => {
    const none = classifyLinkFailure(denied, ChannelType.MAIN, endpoint, false);
    expect(none.reason).toBe('auth');
    expect(none.message).toMatch(/needs a password and none was given: pass it as the `password` option/);
    expect(classifyLinkFailure(denied, ChannelType.MAIN, endpoint, true).message).toMatch(
      /refused the password: it is wrong or has expired/,
    );
  });
});
