import { TestScheduler } from 'rxjs/testing';
import { spiceMessages, type RawMessage } from '../../../src/channel/spice-messages';
import { encodeMessage } from '../../../src/wire/data-header';
import { WireError } from '../../../src/wire/errors';

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

describe('spiceMessages', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits messages packed into one chunk at once', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('(a|)', { a: Buffer.concat([mini(pong), mini(ack), mini(data)]) });
      expectObservable(source.pipe(spiceMessages({ header: 'mini', maxBodySize: 100 }))).toBe('(xyz|)', {
        x: pong,
        y: ack,
        z: data,
      });
    });
  });

  it('emits a message when its last chunk arrives', () => {
    const wire = Buffer.concat([mini(pong), mini(data)]);
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', {
        a: wire.subarray(0, 4),
        b: wire.subarray(4, 25),
        c: wire.subarray(25),
      });
      expectObservable(source.pipe(spiceMessages({ header: 'mini', maxBodySize: 100 }))).toBe('--x-y|', {
        x: pong,
        y: data,
      });
    });
  });

  it('reassembles a full-header message split at every byte', () => {
    const wire = encodeMessage('full', { ...data, serial: 1n });
    const { marble, values } = perByte(wire);
    scheduler.run(({ cold, expectObservable }) => {
      const expected = '-'.repeat(wire.length - 1) + 'x|';
      expectObservable(cold(marble, values).pipe(spiceMessages({ header: 'full', maxBodySize: 100 }))).toBe(
        expected,
        { x: data },
      );
    });
  });

  it('accepts a body of exactly maxBodySize', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('(a|)', { a: mini(data) });
      expectObservable(source.pipe(spiceMessages({ header: 'mini', maxBodySize: data.body.length }))).toBe(
        '(x|)',
        {
          x: data,
        },
      );
    });
  });

  it('errors with too-large as soon as a header announces more than maxBodySize', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const wire = mini(data);
      const source = cold('a-b-|', { a: mini(ack), b: wire.subarray(0, 6) });
      expectObservable(
        source.pipe(spiceMessages({ header: 'mini', maxBodySize: data.body.length - 1 })),
      ).toBe('x-#', { x: ack }, expect.objectContaining({ kind: 'too-large' }));
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('errors with truncated when the source completes inside a header or a body', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const wire = mini(data);
      const options = { header: 'mini' as const, maxBodySize: 100 };
      const truncated = expect.objectContaining({ kind: 'truncated' });
      expectObservable(cold('a|', { a: wire.subarray(0, 3) }).pipe(spiceMessages(options))).toBe(
        '-#',
        {},
        truncated,
      );
      expectObservable(cold('a|', { a: wire.subarray(0, 8) }).pipe(spiceMessages(options))).toBe(
        '-#',
        {},
        truncated,
      );
    });
  });

  it('completes cleanly at a message boundary and passes source errors through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const options = { header: 'mini' as const, maxBodySize: 100 };
      expectObservable(cold<Buffer>('|').pipe(spiceMessages(options))).toBe('|');
      const failure = new Error('socket reset');
      expectObservable(cold('a#', { a: mini(ack) }, failure).pipe(spiceMessages(options))).toBe(
        'x#',
        { x: ack },
        failure,
      );
    });
  });

  it('errors with a WireError instance', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a|', { a: mini(data).subarray(0, 2) });
      expectObservable(source.pipe(spiceMessages({ header: 'mini', maxBodySize: 100 }))).toBe(
        '-#',
        {},
        expect.any(WireError),
      );
    });
  });
});
