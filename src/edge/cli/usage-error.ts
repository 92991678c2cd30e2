/** A mistake on the command line: the CLI prints the message and exits with 2 (the usage-error code). */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
