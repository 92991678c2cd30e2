import { parseCommandLine } from '../../../../src/edge/cli/parse-command-line';
import { UsageError } from '../../../../src/edge/cli/usage-error';

const parse = (args: string[]) => parseCommandLine(args, {}, '1.2.3');

describe('the libvirt options (-c URI DOMAIN, --wait)', () => {
  it('takes -c URI DOMAIN as virt-viewer does, with --wait and --reconnect', () => {
    const command = parse(['-c', 'qemu:///system', 'myvm', '--share-dir', '/srv', '--wait', '--reconnect']);
    expect(command).toMatchObject({
      kind: 'connect',
      target: { kind: 'libvirt', uri: 'qemu:///system', domain: 'myvm', wait: true },
      share: { path: '/srv', readOnly: false },
      reconnect: 'after-loss',
    });
  });

  it('takes --connect and a UUID', () => {
    const uuid = '7e6956a8-0499-41d6-a8d7-59b1aa0e88a1';
    expect(parse(['--connect', 'qemu+ssh://root@h/system', uuid])).toMatchObject({
      target: { kind: 'libvirt', uri: 'qemu+ssh://root@h/system', domain: uuid, wait: false },
    });
  });

  it.each([
    [['-c', 'qemu:///system'], /needs a DOMAIN/],
    [['-c', 'system', 'vm'], /not a libvirt URI/],
    [['-c', 'qemu:///system', 'vm', '--tls-port', '5901'], /libvirt says which TLS port/],
    [['-c', 'qemu:///system', '--direct', '127.0.0.1:5900'], /give one of them/],
    [['--wait', '127.0.0.1:5900'], /--wait applies to a libvirt domain/],
    [['--wait'], /--wait applies to a libvirt domain/],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args)).toThrow(UsageError);
    expect(() => parse(args)).toThrow(message);
  });
});
