import { firstValueFrom } from 'rxjs';
import { shareFolder } from '../../../../src/edge/sharing/share-folder';
import type { ShareFolderOptions } from '../../../../src/edge/sharing/sharing-types';

/**
 * A target that cannot work is the embedding program's mistake: shareFolder's Observable ends with a TypeError
 * that says what to give, before anything connects (it used to be Node's RangeError from inside the socket, a
 * TCP connection for an unknown kind, or a synchronous throw for no target at all).
 */
describe('shareFolder with a target that cannot work', () => {
  it.each([
    [undefined, /options\.target is required/],
    [{ kind: 'tcp', host: '127.0.0.1', port: 70000 }, /target\.port 70000 is not a port number \(1-65535\)/],
    [{ kind: 'tcp', host: '127.0.0.1', port: 0 }, /target\.port 0 is not a port number/],
    [{ kind: 'tcp', host: '127.0.0.1', tlsPort: 5.5 }, /target\.tlsPort 5\.5 is not a port number/],
    [{ kind: 'tcp', host: '127.0.0.1' }, /needs a port, a tlsPort or both/],
    [{ kind: 'tcp', host: '', port: 5900 }, /needs a host name or address/],
    [{ kind: 'unix', path: '' }, /needs the socket path/],
    [{ kind: 'ftp', host: '127.0.0.1', port: 21 }, /unknown target kind "ftp"/],
  ])('%j ends the Observable with a TypeError', async (target, message) => {
    const options = { target } as unknown as ShareFolderOptions;
    let events$: ReturnType<typeof shareFolder> | undefined;
    expect(() => (events$ = shareFolder(options))).not.toThrow();
    const failure = await firstValueFrom(events$ ?? shareFolder(options)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toMatch(message);
  });
});
