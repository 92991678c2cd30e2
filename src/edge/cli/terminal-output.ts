import type { Writable } from 'node:stream';
import { terminalSafe } from '../../wire/display-text';

/**
 * Where the CLI writes: log lines to stderr, data (JSON events, status answers) to stdout, and one live
 * progress line on stdout that is cleared before anything else is written and redrawn on the next tick.
 */
export class TerminalOutput {
  private progressShown = false;

  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {}

  log(line: string): void {
    this.clearProgress();
    this.stderr.write(`${terminalSafe(line)}\n`);
  }

  data(text: string): void {
    this.clearProgress();
    this.stdout.write(`${text}\n`);
  }

  /**
   * The user pressed Enter on `line`: the terminal echoed it after the progress line and moved down one line.
   * Put the typed line alone on that line (the progress line comes back on the next tick, below the answer).
   */
  typed(line: string): void {
    if (!this.progressShown) return;
    this.stdout.write(`\x1b[1A\r\x1b[K${line}\n`);
    this.progressShown = false;
  }

  /** Shows `line` in place of the previous progress line; undefined removes it. */
  progress(line: string | undefined): void {
    if (line === undefined) {
      this.clearProgress();
      return;
    }
    this.stdout.write(`\r\x1b[K${line}`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.stdout.write('\r\x1b[K');
    this.progressShown = false;
  }
}
