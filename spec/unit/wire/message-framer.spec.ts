import { encodeMessage } from '../../../src/wire/data-header';
import { WireError } from '../../../src/wire/errors';
import {
  initialMessageFramerState,
  isMidMessage,
  messageFramerStep,
  type MessageFramerOptions,
  type RawMessage,
} from '../../../src/wire/message-framer';

function frameAll(options: MessageFramerOptions, chunks: Buffer[]): RawMessage[] {
  let state = initialMessageFramerState;
  const messages: RawMessage[] = [];
  for (const chunk of chunks) {
    const step = messageFramerStep(options, state, chunk);
    state = step.state;
    messages.push(...step.messages);
  }
  expect(isMidMessage(state)).toBe(false);
  return messages;
}

describe('messageFramerStep', () => {
  const messages: RawMessage[] = [
    { type: 103, body: Buffer.alloc(32, 1) },
    { type: 2, body: Buffer.alloc(0) },
    { type: 101, body: Buffer.from('data') },
  ];

  it.each(['mini', 'full'] as const)('splits a %s-header stream split at every byte', (header) => {
    const stream = Buffer.concat(
      messages.map((message, i) => encodeMessage(header, { ...message, serial: BigInt(i + 1) })),
    );
    const options = { header, maxBodySize: 100 };
    expect(frameAll(options, [stream])).toEqual(messages);
    expect(
      frameAll(
        options,
        Array.from(stream, (_, i) => stream.subarray(i, i + 1)),
      ),
    ).toEqual(messages);
  });

  it('accepts a body of exactly maxBodySize and rejects one byte more as too-large', () => {
    const options = { header: 'mini' as const, maxBodySize: 4 };
    expect(frameAll(options, [encodeMessage('mini', { type: 101, body: Buffer.from('data') })])).toHaveLength(
      1,
    );
    const oversized = encodeMessage('mini', { type: 101, body: Buffer.from('data!') });
    expect(() => messageFramerStep(options, initialMessageFramerState, oversized.subarray(0, 6))).toThrow(
      expect.objectContaining({ kind: 'too-large' }),
    );
    expect(() => messageFramerStep(options, initialMessageFramerState, oversized)).toThrow(WireError);
  });
});
