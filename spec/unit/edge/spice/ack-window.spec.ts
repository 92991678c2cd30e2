import {
  initialAckWindow,
  reduceAckWindow,
  type AckInput,
  type AckOutput,
} from '../../../../src/edge/spice/ack-window';

function run(inputs: AckInput[]): AckOutput['kind'][] {
  let state = initialAckWindow;
  return inputs.map((input) => {
    const step = reduceAckWindow(state, input);
    state = step.state;
    return step.output.kind;
  });
}

const message: AckInput = { kind: 'message' };

describe('reduceAckWindow', () => {
  it('acknowledges nothing before SET_ACK', () => {
    expect(run([message, message, message])).toEqual(['none', 'none', 'none']);
  });

  it('answers SET_ACK with ACK_SYNC carrying its generation', () => {
    const step = reduceAckWindow(initialAckWindow, { kind: 'set-ack', generation: 9, window: 3 });
    expect(step.output).toEqual({ kind: 'ack-sync', generation: 9 });
  });

  it('sends one ACK every `window` messages after SET_ACK', () => {
    expect(
      run([
        { kind: 'set-ack', generation: 1, window: 3 },
        message,
        message,
        message,
        message,
        message,
        message,
      ]),
    ).toEqual(['ack-sync', 'none', 'none', 'ack', 'none', 'none', 'ack']);
  });

  it('acknowledges every message with window 1', () => {
    expect(run([{ kind: 'set-ack', generation: 1, window: 1 }, message, message])).toEqual([
      'ack-sync',
      'ack',
      'ack',
    ]);
  });

  it('restarts the count on a new SET_ACK', () => {
    expect(
      run([
        { kind: 'set-ack', generation: 1, window: 2 },
        message,
        { kind: 'set-ack', generation: 2, window: 2 },
        message,
        message,
      ]),
    ).toEqual(['ack-sync', 'none', 'ack-sync', 'none', 'ack']);
  });

  it('turns acknowledgements off with window 0', () => {
    expect(run([{ kind: 'set-ack', generation: 1, window: 0 }, message, message])).toEqual([
      'ack-sync',
      'none',
      'none',
    ]);
  });
});
