import type { CliCommand } from '../cli/parse-command-line';

/** Placeholder until the demo lands: says what it will do. */
export async function runDemo(_command: Extract<CliCommand, { kind: 'demo' }>): Promise<void> {
  process.stderr.write('spice-webdav: the demo is not built yet; connect to a VM with --direct HOST:PORT.\n');
  process.exitCode = 1;
}
