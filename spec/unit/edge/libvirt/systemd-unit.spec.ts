import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The shipped unit template names the domain by its instance. systemd's %I undoes unit-name escaping, which
 * turns every "-" into "/": `spice-webdav@debian-12` would look for a domain "debian/12" (and UUIDs all have
 * dashes), fail, and be restarted every 10 s. %i is the instance as written.
 */
describe('systemd/spice-webdav@.service', () => {
  const unit = readFileSync(
    join(__dirname, '..', '..', '..', '..', 'systemd', 'spice-webdav@.service'),
    'utf8',
  );
  const setting = (name: string): string =>
    unit
      .split('\n')
      .find((line) => line.startsWith(`${name}=`))
      ?.slice(name.length + 1) ?? '';

  it('passes the instance to -c as written, never unescaped', () => {
    expect(setting('ExecStart')).toMatch(/ -c \$\{URI\} %i --share-dir /);
    expect(
      unit
        .split('\n')
        .filter((line) => !line.startsWith('#'))
        .join('\n'),
    ).not.toContain('%I');
    expect(setting('EnvironmentFile')).toBe('/etc/spice-webdav/%i.env');
  });
});
