// `npm run demo` as a newcomer runs it: boots the guest, shares a folder, lists, reads and writes from inside
// the guest, explains each step and leaves nothing running.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('the built-in demo', () => {
  it('shows folder sharing end to end and exits 0', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'spice-webdav'), 'demo'], {
      encoding: 'utf8',
      timeout: 280_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect({ status: result.status, output }).toMatchObject({ status: 0 });
    expect(output).toContain('hello.txt');
    expect(output).toContain('Hello from the host!');
    expect(output).toMatch(/from-the-guest\.txt now says: "Written inside the VM/);
    expect(output).toContain('Shutting the VM down');
  }, 300_000);
});
