import { parseCommandLine } from '../../../../src/edge/cli/parse-command-line';
import { reconnectModeFromOption } from '../../../../src/edge/cli/reconnect-option';
import { UsageError } from '../../../../src/edge/cli/usage-error';

describe('--reconnect', () => {
  const parse = (...args: string[]) => parseCommandLine(['127.0.0.1:5900', ...args], {}, '0.0.0');
  const modeOf = (...args: string[]) => {
    const command = parse(...args);
    return command.kind === 'connect' ? command.reconnect : undefined;
  };

  it('is off unless asked for', () => {
    expect(modeOf()).toBe('off');
  });

  it('bare --reconnect reconnects after a loss only; --reconnect=always also after being kicked', () => {
    expect(modeOf('--reconnect')).toBe('after-loss');
    expect(modeOf('--reconnect=always')).toBe('always');
    // Its own words are taken after a space too; any other word is not (it would be the address).
    expect(modeOf('--reconnect', 'always')).toBe('always');
    expect(() => parse('--reconnect', 'sometimes')).toThrow(/Unknown argument: sometimes/);
  });

  it('refuses other values with a message that lists the choices', () => {
    expect(() => reconnectModeFromOption('sometimes')).toThrow(UsageError);
    expect(() => parse('--reconnect=sometimes')).toThrow(/--reconnect=always/);
  });
});
