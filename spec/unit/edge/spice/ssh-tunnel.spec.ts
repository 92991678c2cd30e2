import { sshTunnelArguments } from '../../../../src/edge/spice/ssh-tunnel';

describe('sshTunnelArguments', () => {
  it('is `ssh [-p PORT] [-l USER] -o BatchMode=yes -e none -- HOST nc ADDRESS PORT` as an argument array', () => {
    expect(sshTunnelArguments({ host: 'vmhost', user: 'admin', port: 2222 }, '127.0.0.1', 5900)).toEqual([
      '-p',
      '2222',
      '-l',
      'admin',
      '-o',
      'BatchMode=yes',
      '-e',
      'none',
      '--',
      'vmhost',
      'nc',
      '127.0.0.1',
      '5900',
    ]);
    expect(sshTunnelArguments({ host: '-oProxyCommand=x' }, '::1', 5901).slice(-5)).toEqual([
      '--',
      '-oProxyCommand=x',
      'nc',
      '::1',
      '5901',
    ]);
  });

  it('refuses an address the remote shell could interpret', () => {
    expect(() => sshTunnelArguments({ host: 'h' }, '127.0.0.1;reboot', 5900)).toThrow(TypeError);
    expect(() => sshTunnelArguments({ host: 'h' }, '$(id)', 5900)).toThrow(TypeError);
    expect(() => sshTunnelArguments({ host: 'h' }, '127.0.0.1', 0)).toThrow(TypeError);
  });
});
