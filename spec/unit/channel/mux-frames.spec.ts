import { take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { muxFrames, type MuxFrame } from '../../../src/channel/mux-frames';
import { WireError } from '../../../src/wire/errors';
import { clientIdFromBigInt, encodeMuxFrame } from '../../../src/wire/mux-frame';

const request: MuxFrame = { id: clientIdFromBigInt(-42n), payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') };
const close: MuxFrame = { id: clientIdFromBigInt(-42n), payload: Buffer.alloc(0) };
const other: MuxFrame = { id: clientIdFromBigInt(7n), payload: Buffer.from('x') };

const wire = (frame: MuxFrame): Buffer => encodeMuxFrame(frame.id, frame.payload);

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

describe('muxFrames', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits every frame of a packed chunk, zero-size ones included', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('(a|)', { a: Buffer.concat([wire(request), wire(other), wire(close)]) });
      expectObservable(source.pipe(muxFrames())).toBe('(xyz|)', { x: request, y: other, z: close });
    });
  });

  it('reassembles frames split across chunks, regardless of SPICE message boundaries', () => {
    const stream = Buffer.concat([wire(request), wire(other)]);
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', {
        a: stream.subarray(0, 5),
        b: stream.subarray(5, 29),
        c: stream.subarray(29),
      });
      expectObservable(source.pipe(muxFrames())).toBe('--x-y|', { x: request, y: other });
    });
  });

  it('reassembles a frame split at every byte', () => {
    const stream = Buffer.concat([wire(other), wire(close)]);
    const values: Record<string, Buffer> = {};
    let marble = '';
    for (let i = 0; i < stream.length; i++) {
      values[letters.charAt(i)] = stream.subarray(i, i + 1);
      marble += letters.charAt(i);
    }
    scheduler.run(({ cold, expectObservable }) => {
      const expected = '-'.repeat(10) + 'x' + '-'.repeat(9) + 'y|';
      expectObservable(cold(marble + '|', values).pipe(muxFrames())).toBe(expected, { x: other, y: close });
    });
  });

  it('errors with truncated when the stream ends inside a frame', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const truncated = expect.objectContaining({ kind: 'truncated' });
      expectObservable(cold('a|', { a: wire(request).subarray(0, 9) }).pipe(muxFrames())).toBe(
        '-#',
        {},
        truncated,
      );
      expectObservable(cold('a|', { a: wire(request).subarray(0, 12) }).pipe(muxFrames())).toBe(
        '-#',
        {},
        expect.any(WireError),
      );
    });
  });

  it('completes at a frame boundary and passes source errors through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: wire(close) }).pipe(muxFrames())).toBe('x|', { x: close });
      const failure = new Error('channel closed');
      expectObservable(cold('a#', { a: wire(other) }, failure).pipe(muxFrames())).toBe(
        'x#',
        { x: other },
        failure,
      );
    });
  });

  it('stops emitting when the subscriber unsubscribes in the middle of a chunk', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-|', { a: Buffer.concat([wire(request), wire(other)]) });
      expectObservable(source.pipe(muxFrames(), take(1))).toBe('(x|)', { x: request });
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });
});
