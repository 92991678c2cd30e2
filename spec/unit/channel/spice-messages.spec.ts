import { map, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { spicePiecedMessages } from '../../../src/channel/spice-messages';
import { encodeMessage } from '../../../src/wire/data-header';
import { WireError } from '../../../src/wire/errors';
import type { MessageFramerOptions, RawMessage } from '../../../src/wire/message-framer';

const pong: RawMessage = { type: 3, body: Buffer.from('0123456789ab') };
const ack: RawMessage = { type: 2, body: Buffer.alloc(0) };
const data: RawMessage = { type: 101, body: Buffer.from('webdav bytes') };

const mini = (message: RawMessage): Buffer => encodeMessage('mini', message);

/** Marble letters for a per-byte source (one distinct character per chunk). */
const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function perByte(buffer: Buffer): { marble: string; values: Record<string, Buffer> } {
  const values: Record<string, Buffer> = {};
  let marble = '';
  for (let i = 0; i < buffer.length; i++) {
    const letter = letters.charAt(i);
    values[letter] = buffer.subarray(i, i + 1);
    marble += letter;
  }
  return { marble: marble + '|', values };
}

/** The operator the channel reads with, each message's pieces joined so that timelines compare whole bodies. */
const spiceMessages =
  (options: MessageFramerOptions): OperatorFunction<Buffer, RawMessage> =>
  (source) =>
    source.pipe(
      spicePiecedMessages(options),
      map(({ type, pieces, size }) => ({ type, body: Buffer.concat(pieces, size) })),
    );

describe('spicePiecedMessages', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const mini100 = { header: 'mini' as const, maxBodySize: 100 };

  it('emits messages packed into one chunk at once', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('  (a|)', { a: Buffer.concat([mini(pong), mini(ack), mini(data)]) });
      const expected = '     (xyz|)';
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected, { x: pong, y: ack, z: data });
    });
  });

  it('emits a message when its last chunk arrives', () => {
    const wire = Buffer.concat([mini(pong), mini(data)]);
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('  a-b-c|', {
        a: wire.subarray(0, 4),
        b: wire.subarray(4, 25),
        c: wire.subarray(25),
      });
      const expected = '     --x-y|';
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected, { x: pong, y: data });
    });
  });

  it('reassembles a full-header message split at every byte', () => {
    const wire = encodeMessage('full', { ...data, serial: 1n });
    const { marble, values } = perByte(wire);
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(marble, values);
      const expected = '-'.repeat(wire.length - 1) + 'x|';
      expectObservable(source.pipe(spiceMessages({ header: 'full', maxBodySize: 100 }))).toBe(expected, {
        x: data,
      });
    });
  });

  it('accepts a body of exactly maxBodySize', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('  (a|)', { a: mini(data) });
      const expected = '     (x|)';
      const exact = { header: 'mini' as const, maxBodySize: data.body.length };
      expectObservable(source.pipe(spiceMessages(exact))).toBe(expected, { x: data });
    });
  });

  it('errors with too-large as soon as a header announces more than maxBodySize', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  a-b-|', { a: mini(ack), b: mini(data).subarray(0, 6) });
      const expected = '     x-#';
      const unsubscribed = ' ^-!';
      const tooSmall = { header: 'mini' as const, maxBodySize: data.body.length - 1 };
      const tooLarge = expect.objectContaining({ kind: 'too-large' });
      expectObservable(source.pipe(spiceMessages(tooSmall))).toBe(expected, { x: ack }, tooLarge);
      expectSubscriptions(source.subscriptions).toBe(unsubscribed);
    });
  });

  it('errors with truncated when the source completes inside a header', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('  a|', { a: mini(data).subarray(0, 3) });
      const expected = '     -#';
      const truncated = expect.objectContaining({ kind: 'truncated' });
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected, {}, truncated);
    });
  });

  it('errors with truncated when the source completes inside a body', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('  a|', { a: mini(data).subarray(0, 8) });
      const expected = '     -#';
      const truncated = expect.objectContaining({ kind: 'truncated' });
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected, {}, truncated);
    });
  });

  it('completes cleanly at a message boundary', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold<Buffer>('|');
      const expected = '           |';
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected);
    });
  });

  it('passes source errors through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const failure = new Error('socket reset');
      const source = cold('  a#', { a: mini(ack) }, failure);
      const expected = '     x#';
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected, { x: ack }, failure);
    });
  });

  it('errors with a WireError instance', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('  a|', { a: mini(data).subarray(0, 2) });
      const expected = '     -#';
      expectObservable(source.pipe(spiceMessages(mini100))).toBe(expected, {}, expect.any(WireError));
    });
  });
});
