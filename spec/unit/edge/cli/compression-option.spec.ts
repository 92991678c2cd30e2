import { compressionModeFromOption } from '../../../../src/edge/cli/compression-option';
import { parseCommandLine } from '../../../../src/edge/cli/parse-command-line';
import { UsageError } from '../../../../src/edge/cli/usage-error';

const parse = (...args: string[]) => parseCommandLine(args, {}, '1.2.3');
const modeOf = (...args: string[]) => {
  const command = parse('127.0.0.1:5900', ...args);
  return command.kind === 'connect' ? command.compression : undefined;
};

describe('--compression', () => {
  it('is auto without the option, and takes auto, on and off (any case)', () => {
    expect(modeOf()).toBe('auto');
    expect(modeOf('--compression', 'on')).toBe('on');
    expect(modeOf('--compression=OFF')).toBe('off');
    expect(modeOf('--compression', 'auto')).toBe('auto');
  });

  it('refuses any other value with a usage error that lists the choices', () => {
    expect(() => compressionModeFromOption('lz4')).toThrow(UsageError);
    expect(() => parse('127.0.0.1:5900', '--compression', 'lz4')).toThrow(
      /--compression lz4 is not a choice: use auto .* on .* or off/,
    );
    expect(() => parse('127.0.0.1:5900', '--compression=')).toThrow(
      /--compression needs a value: auto, on or off/,
    );
  });

  it('needs an address (it only means something when connecting)', () => {
    expect(() => parse('--compression', 'on')).toThrow(/No SPICE address given, though --compression was/);
  });
});
