import { LinkErrorCode } from '../../../src/wire/constants';
import {
  LinkError,
  PasswordTooLongError,
  SaslRequiredError,
  WireError,
  linkErrorFor,
} from '../../../src/wire/errors';

// A user-facing refusal must say what to do, not only what happened.
const advicePattern = /\b(check|connect|disable|use|reconnect|report|set)\b/;

describe('linkErrorFor', () => {
  it.each(Object.entries(LinkErrorCode))(
    '%s (%i) has its name and a message that says what to do',
    (name, code) => {
      const error = linkErrorFor(code);
      expect(error).toBeInstanceOf(LinkError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.codeName).toBe(name);
      expect(error.message).toMatch(advicePattern);
    },
  );

  it('points at the TLS port for NEED_SECURED', () => {
    expect(linkErrorFor(LinkErrorCode.NEED_SECURED).message).toBe(
      'the server requires TLS for this channel: connect to its TLS port (--tls-port or tls-port= in the URI) with --ca-file',
    );
  });

  it('points at the password for PERMISSION_DENIED', () => {
    expect(linkErrorFor(LinkErrorCode.PERMISSION_DENIED).message).toBe(
      'the SPICE server refused the password: it is wrong or has expired; check it (the CLI reads --password-file or SPICE_PASSWORD; the library, the `password` option)',
    );
  });

  it('mentions SASL for VERSION_MISMATCH', () => {
    expect(linkErrorFor(LinkErrorCode.VERSION_MISMATCH).message).toContain(
      'requires SASL, which spice-webdav does not support',
    );
  });

  it('handles unknown codes', () => {
    const error = linkErrorFor(4242);
    expect(error.code).toBe(4242);
    expect(error.codeName).toBe('UNKNOWN');
    expect(error.message).toContain('4242');
    expect(error.message).toMatch(advicePattern);
  });
});

describe('other errors', () => {
  it('WireError keeps its kind', () => {
    const error = new WireError('truncated', 'short');
    expect(error.kind).toBe('truncated');
    expect(error.name).toBe('WireError');
    expect(error).toBeInstanceOf(Error);
  });

  it('SaslRequiredError is a LinkError that tells the user to disable SASL', () => {
    const error = new SaslRequiredError();
    expect(error).toBeInstanceOf(LinkError);
    expect(error.message).toMatch(/SASL.*disable SASL/);
  });

  it('PasswordTooLongError states the limit', () => {
    const error = new PasswordTooLongError(61);
    expect(error.byteLength).toBe(61);
    expect(error.message).toContain('SPICE passwords are at most 60 bytes');
  });
});
