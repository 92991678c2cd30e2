import { firstValueFrom, of, toArray } from 'rxjs';
import { commandShapeProblem } from '../../../../src/edge/sharing/command-shape';
import { shareEngines } from '../../../../src/edge/sharing/share-engines';
import { shareFolder } from '../../../../src/edge/sharing/share-folder';
import type { SharingCommand } from '../../../../src/edge/sharing/sharing-types';

/**
 * A JavaScript embedder can send anything as a command. Until session 25 `{ kind: 'bogus' }` ended sharing with
 * "Cannot read properties of undefined (reading 'map')" (a new user's finding); now the error names the
 * command and what is expected.
 */
describe('commands of the wrong shape', () => {
  const wrong = (value: unknown): SharingCommand => value as SharingCommand;

  it('says what is wrong with each, and nothing about well-formed ones', () => {
    expect(commandShapeProblem({ kind: 'stop' })).toBeUndefined();
    expect(commandShapeProblem({ kind: 'share', path: '/srv', readOnly: true })).toBeUndefined();
    expect(
      commandShapeProblem({ kind: 'share-folders', shares: [{ name: 'a', path: '/a', readOnly: false }] }),
    ).toBeUndefined();
    expect(commandShapeProblem(wrong({ kind: 'bogus' }))).toMatch(
      /unknown command kind "bogus" \(known: share/,
    );
    expect(commandShapeProblem(wrong(null))).toMatch(/an object/);
    expect(commandShapeProblem(wrong({ kind: 'share' }))).toMatch(/needs a path/);
    expect(commandShapeProblem(wrong({ kind: 'share', path: '/x', readOnly: 'yes' }))).toMatch(/boolean/);
    expect(commandShapeProblem(wrong({ kind: 'share-folders' }))).toMatch(/needs shares/);
    expect(commandShapeProblem(wrong({ kind: 'share-folders', shares: [{ name: 'a' }] }))).toMatch(
      /each share is/,
    );
  });

  it('ends the sharing stream with that reason, before any engine is made', async () => {
    let made = 0;
    const factory = () => {
      made += 1;
      return Promise.reject(new Error('not reached'));
    };
    const run = firstValueFrom(
      of(wrong({ kind: 'bogus' })).pipe(shareEngines(factory, undefined), toArray()),
    );
    await expect(run).rejects.toThrow('shareFolder: unknown command kind "bogus"');
    expect(made).toBe(0);
  });

  it('refuses share and shares given together, as the command line does', async () => {
    const events = shareFolder({
      target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
      share: { path: '/a' },
      shares: [{ name: 'b', path: '/b', readOnly: false }],
      connectSpice: () => {
        throw new Error('never connects');
      },
    });
    await expect(firstValueFrom(events)).rejects.toThrow(
      'give share (one folder) or shares (named folders), not both',
    );
  });
});
