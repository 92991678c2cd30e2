import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * `~` and `~/...` as a shell would expand them, for paths the program reads itself (an `=` value, a line typed
 * at the terminal or sent to the control socket), where no shell did it first. `~user` is left alone.
 */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}
