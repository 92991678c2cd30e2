import { nothingSharedNote } from '../../../../src/edge/cli/nothing-shared-note';

/** Started without a folder, the CLI says how one can be shared, or that none can (a new user's finding). */
describe('the note for a run that shares nothing', () => {
  const none = { share: undefined, shares: [], control: undefined };

  it('says nothing when a folder is shared', () => {
    expect(nothingSharedNote({ ...none, share: { path: '/srv', readOnly: false } }, true)).toBeUndefined();
    expect(
      nothingSharedNote({ ...none, shares: [{ name: 'a', path: '/a', readOnly: false }] }, false),
    ).toBeUndefined();
  });

  it('names the ways a share can still come: the terminal, the control socket', () => {
    expect(nothingSharedNote(none, true)).toBe(
      'nothing is shared yet: the guest gets 503 until you type share DIR here',
    );
    expect(nothingSharedNote({ ...none, control: '/run/sw.sock' }, true)).toMatch(
      /until you type share DIR here, or send \{"command":"share","path":"DIR"\} to \/run\/sw\.sock$/,
    );
  });

  it('warns when there is none: stdin is no terminal and there is no control socket', () => {
    expect(nothingSharedNote(none, false)).toMatch(
      /^warning: nothing is shared and nothing can be .*--share-dir DIR$/,
    );
  });
});
