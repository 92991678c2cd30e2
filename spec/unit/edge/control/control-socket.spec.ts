// The --control socket over a real unix socket, with a stand-in for the running share.

import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import {
  MAX_CONTROL_LINE_BYTES,
  openControlSocket,
  type ControlSocket,
} from '../../../../src/edge/control/control-socket';
import { until } from '../../webdav/support/until';
import type { ControlTarget } from '../../../../src/edge/control/execute-control';
import { INITIAL_STATUS, statusReport } from '../../../../src/edge/control/sharing-status';
import type { SharingCommand, SharingEvent } from '../../../../src/edge/sharing/sharing-types';

/**
 * A share that answers each command with the event a real one sends, but only from the moment the test calls
 * `answer()` (a real share takes a while to check the folder and start its engine).
 */
function slowTarget(): { target: ControlTarget; answer: () => void } {
  const events = new Subject<SharingEvent>();
  const pending: SharingEvent[] = [];
  let answering = false;
  const outcome = (command: SharingCommand): SharingEvent =>
    command.kind === 'stop'
      ? { kind: 'sharing-stopped', droppedClients: 0 }
      : command.kind === 'share'
        ? { kind: 'sharing-started', share: { path: command.path, readOnly: command.readOnly ?? false } }
        : { kind: 'sharing-started', share: { shares: command.shares } };
  return {
    target: {
      events$: events.asObservable(),
      send: (command) => (answering ? events.next(outcome(command)) : pending.push(outcome(command))),
      status: () => statusReport(INITIAL_STATUS, 0),
    },
    answer: () => {
      answering = true;
      for (const event of pending.splice(0)) events.next(event);
    },
  };
}

/** One request on its own connection, answered (a round trip through the server). */
function ask(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(chunk.toString());
    });
    socket.write(`${line}\n`);
  });
}

describe('control socket', () => {
  let dir: string;
  let control: ControlSocket | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spice-webdav-control-'))));
  afterEach(() => {
    control?.close();
    control = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every line, in order, after the client half-closed its side', async () => {
    const { target, answer } = slowTarget();
    const path = join(dir, 'sw.sock');
    control = await openControlSocket(path, target, '/w');
    const client = connect({ path, allowHalfOpen: true });
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const lines =
      '{"command":"share","path":"/srv/x","readOnly":true}\n{"command":"share","path":"/x","readOnly":"true"}\n' +
      '{"command":"stop"}\n{"command":"status"}\n';
    // All lines and the end of input are on their way before the share has an outcome, as with
    // `echo ... | socat -`; a round trip on another connection lets the server take them in first.
    await new Promise<void>((resolve) => client.end(lines, resolve));
    await ask(path, '{"command":"status"}');
    answer();
    await closed;
    const replies = received
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(replies).toEqual([
      { ok: true, shared: { path: '/srv/x', readOnly: true } },
      { ok: false, error: expect.stringContaining('"readOnly" must be true or false') },
      { ok: true, stopped: true },
      { ok: true, status: expect.objectContaining({ shared: null }) },
    ]);
  });

  // A script that sends and quits without reading (or a client killed meanwhile) made readline re-emit the
  // socket's ECONNRESET as an unhandled error, which ended the process and the share (session 22).
  it('outlives a client that goes away without reading its replies', async () => {
    let statusCalls = 0;
    const { target } = slowTarget();
    const counting: ControlTarget = { ...target, status: () => (statusCalls++, target.status()) };
    const path = join(dir, 'sw.sock');
    control = await openControlSocket(path, counting, '/w');
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const client = connect(path);
      client.pause(); // the replies stay unread: closing then resets the connection
      client.write('{"command":"status"}\n'.repeat(5));
      await until(() => statusCalls === 5);
      client.destroy();
      expect(JSON.parse(await ask(path, '{"command":"status"}'))).toMatchObject({ ok: true });
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
  });

  it('reads a line sent a few bytes at a time, a character split between writes included', async () => {
    const { target } = slowTarget();
    const path = join(dir, 'sw.sock');
    control = await openControlSocket(path, target, '/w');
    const bytes = Buffer.from('{"command":"status","é":1}\n', 'utf8');
    const client = connect({ path });
    const reply = new Promise<string>((resolve) =>
      client.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    for (let at = 0; at < bytes.length; at += 3) {
      client.write(bytes.subarray(at, at + 3)); // "é" is two bytes: some cut falls inside it
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(JSON.parse(await reply)).toEqual({ ok: false, error: 'status takes no other field: "é"' });
    client.destroy();
  });

  it.each([
    ['unfinished', ''],
    // Whole, with its newline, in one write: it was measured only when it was still unfinished at a chunk's end.
    ['whole in one write', '"}\n'],
  ])(
    'refuses a request line over the limit (%s), ends that connection, and answers the next client',
    async (_how, end) => {
      const { target } = slowTarget();
      const path = join(dir, 'sw.sock');
      control = await openControlSocket(path, target, '/w');
      const client = connect({ path, allowHalfOpen: true });
      let received = '';
      client.on('data', (chunk: Buffer) => (received += chunk.toString()));
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      client.write('{"command":"status","padding":"' + 'x'.repeat(MAX_CONTROL_LINE_BYTES + 10) + end);
      await ended;
      client.destroy();
      expect(JSON.parse(received)).toEqual({ ok: false, error: expect.stringContaining('longer than') });
      expect(JSON.parse(await ask(path, '{"command":"status"}'))).toMatchObject({ ok: true });
    },
  );
});
