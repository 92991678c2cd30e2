/**
 * The line protocol of the guest's command server (guest/rootfs/bin/guest-cmd-server) on the virtio-serial
 * port org.spiceweb.test.cmd.
 *
 *   request:  <id> <timeout seconds> <base64 of the command>\n
 *   reply:    @@BEGIN <id>\n <base64 stdout lines> @@STDERR\n <base64 stderr lines> @@END <id> <status>\n
 *
 * Base64 keeps any output (binary, lines that look like markers) unambiguous; the id lets the host skip the
 * late reply of a command it already gave up on.
 */

export interface GuestReply {
  id: number;
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export function encodeGuestRequest(id: number, command: string, timeoutSeconds: number): string {
  return `${id} ${timeoutSeconds} ${Buffer.from(command, 'utf8').toString('base64')}\n`;
}

type ParserState =
  | { kind: 'between-replies' }
  | { kind: 'stdout'; id: number; lines: string[] }
  | { kind: 'stderr'; id: number; stdout: string[]; lines: string[] };

const BEGIN = /^@@BEGIN (\d+)$/;
const END = /^@@END (\d+) (\d+)$/;

const decode = (lines: string[]) => Buffer.from(lines.join(''), 'base64');

/** Incremental parser: feed it bytes as they arrive, get complete replies back. */
export class GuestReplyParser {
  private partial = '';
  private state: ParserState = { kind: 'between-replies' };

  push(chunk: Buffer | string): GuestReply[] {
    const text = this.partial + chunk.toString('latin1');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const replies: GuestReply[] = [];
    for (const line of lines) {
      const reply = this.line(line.replace(/\r$/, ''));
      if (reply !== undefined) replies.push(reply);
    }
    return replies;
  }

  private line(line: string): GuestReply | undefined {
    const begin = BEGIN.exec(line);
    if (begin !== null) {
      // A BEGIN always starts over: a reply cut short (guest restart) must not swallow the next one.
      this.state = { kind: 'stdout', id: Number(begin[1]), lines: [] };
      return undefined;
    }
    const state = this.state;
    switch (state.kind) {
      case 'between-replies':
        return undefined; // noise before the first reply
      case 'stdout':
        if (line === '@@STDERR')
          this.state = { kind: 'stderr', id: state.id, stdout: state.lines, lines: [] };
        else state.lines.push(line);
        return undefined;
      case 'stderr': {
        const end = END.exec(line);
        if (end === null) {
          state.lines.push(line);
          return undefined;
        }
        this.state = { kind: 'between-replies' };
        if (Number(end[1]) !== state.id) return undefined;
        return {
          id: state.id,
          code: Number(end[2]),
          stdout: decode(state.stdout),
          stderr: decode(state.lines),
        };
      }
    }
  }
}
