import { parseTarget } from '../../../../src/edge/cli/parse-target';
import { UsageError } from '../../../../src/edge/cli/usage-error';

describe('parseTarget', () => {
  it.each([
    ['127.0.0.1:5900', { kind: 'tcp', host: '127.0.0.1', port: 5900 }],
    ['[::1]:5900', { kind: 'tcp', host: '::1', port: 5900 }],
    ['spice://vm:5900', { kind: 'tcp', host: 'vm', port: 5900, tlsPort: undefined }],
    ['spice://vm?port=5900&tls-port=5901', { kind: 'tcp', host: 'vm', port: 5900, tlsPort: 5901 }],
    ['spice://vm:5900?tls-port=5901', { kind: 'tcp', host: 'vm', port: 5900, tlsPort: 5901 }],
    ['spice+tls://vm:5901', { kind: 'tcp', host: 'vm', port: undefined, tlsPort: 5901 }],
    ['spice://[::1]:5900', { kind: 'tcp', host: '::1', port: 5900, tlsPort: undefined }],
    ['spice+unix:///run/vm/spice.sock', { kind: 'unix', path: '/run/vm/spice.sock' }],
  ])('reads %s', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });

  it('adds --tls-port to a plain address', () => {
    expect(parseTarget('vm:5900', 5901)).toEqual({ kind: 'tcp', host: 'vm', port: 5900, tlsPort: 5901 });
  });

  it.each([
    ['', /empty/],
    ['vm', /no port/],
    ['vm:http', /not a port number/],
    ['vm:70000', /outside 1-65535/],
    ['::1:5900', /IPv6 address in brackets/],
    ['http://vm:5900', /not a SPICE address/],
    ['spice://vm', /no port/],
    ['spice://vm:5900?password=x', /visible to every user/],
    ['spice://vm:5900?foo=1', /unknown URI parameter "foo"/],
    ['spice+unix://relative', /absolute socket path/],
    // Parts a SPICE URI cannot use are refused rather than dropped without a word.
    [':5900', /names no host: write HOST:PORT, e\.g\. 127\.0\.0\.1:5900/],
    ['spice://user:secret@vm:5900', /remove the "user:password@" part/],
    ['spice://vm:5900/path', /no path or #fragment/],
    ['spice://vm:5900#frag', /no path or #fragment/],
    ['spice://vm:5900?port=5901', /two ports \(:5900 and port=5901\)/],
    ['spice://vm?port=5900&port=5901', /port= more than once/],
    ['spice://vm?tls-port=5901&tls-port=5902', /tls-port= more than once/],
    ['spice+tls://vm', /write spice\+tls:\/\/HOST:TLSPORT/],
    ['spice+unix:///tmp/s.sock?foo=1', /takes no parameters/],
    ['spice+unix:///tmp/%zz.sock', /starts no %-escape/],
  ])('refuses %j with a message that says what to write', (text, message) => {
    expect(() => parseTarget(text)).toThrow(UsageError);
    expect(() => parseTarget(text)).toThrow(message);
  });
});
