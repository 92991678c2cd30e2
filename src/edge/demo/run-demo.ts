import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstValueFrom, filter, ReplaySubject, type Subscription, timeout } from 'rxjs';
import { whenOutputClosed } from '../cli/output-closed';
import type { CliCommand } from '../cli/parse-command-line';
import { buildGuest, checkQemuAvailable, startQemu, type RunningQemu } from '../qemu/launcher';
import { shareFolder } from '../sharing/share-folder';
import type { SharingEvent } from '../sharing/sharing-types';
import { demoVm } from './demo-vm';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * The built-in demo for someone without a VM: boots the tiny test guest, shares a folder into it, and has the
 * guest list, read and write it, explaining each step. Everything it starts is stopped at the end.
 */
export async function runDemo(command: Extract<CliCommand, { kind: 'demo' }>): Promise<void> {
  let qemu: RunningQemu | undefined;
  let sharing: Subscription | undefined;
  const ownFolder = command.shareDir === undefined;
  const folder =
    command.shareDir === undefined
      ? mkdtempSync(join(tmpdir(), 'spice-webdav-demo-'))
      : resolve(command.shareDir);
  const cleanUp = async (): Promise<void> => {
    sharing?.unsubscribe();
    await qemu?.stop();
    if (ownFolder) rmSync(folder, { recursive: true, force: true });
  };
  let interrupting = false;
  const interrupted = (): void => {
    if (interrupting) return; // a second Ctrl-C while cleaning up: the cleanup is under way
    interrupting = true;
    void cleanUp().then(() => process.exit(130));
  };
  // `on`, not `once`, until the finally below: QEMU's process registry re-raises a signal nobody else listens
  // to when its own handler runs, and a `once` listener is gone by then, so the process died of the signal
  // before this cleanup (the demo's folder and a QEMU still booting were left behind).
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  process.on('SIGHUP', interrupted); // the terminal closed: the same cleanup
  // Its reader went away (`demo | head -3`): the same cleanup, with no one left to tell.
  whenOutputClosed(interrupted);

  try {
    say('spice-webdav demo: a host folder, shared into a virtual machine over SPICE.\n');
    if (!ownFolder) {
      // Said before anything starts: the user's own folder gets one file written into it.
      say(`The VM will list and read ${folder} and write one file into it: from-the-guest.txt (replacing`);
      say('any file of that name). Nothing else there is changed. Press Ctrl-C now to stop.\n');
    }
    const qemuCheck = await checkQemuAvailable();
    if (!qemuCheck.ok) {
      say(`The demo needs QEMU, which is missing: ${qemuCheck.hint}.`);
      process.exitCode = 1;
      return;
    }
    say('1. Preparing a tiny test VM: a Debian kernel and a small initramfs with spice-webdavd, the guest');
    say(
      '   side of folder sharing. The first run fetches Debian packages (a minute or two); later runs use a cache.',
    );
    const image = await buildGuest({ log: (line) => command.verbose && say(`   | ${line}`) });

    say(
      '2. Booting it under QEMU with a SPICE server and the webdav port (software emulation, no KVM needed)...',
    );
    const started = Date.now();
    const vmSetup = demoVm(image);
    qemu = await startQemu(vmSetup.qemu);
    say(
      `   The VM is up after ${((Date.now() - started) / 1000).toFixed(1)} s; its SPICE server listens on 127.0.0.1:${qemu.spice.port}`,
    );
    say('   with a random password only this demo knows, so no other user of this machine can take it over.');

    if (ownFolder) {
      writeFileSync(join(folder, 'hello.txt'), 'Hello from the host!\n');
      writeFileSync(join(folder, 'notes.md'), '# Shared notes\n\nThis folder lives on the host.\n');
    }
    say(`3. Sharing ${folder} with the VM: spice-webdav connects as a SPICE client, like virt-viewer would.`);
    const events = new ReplaySubject<SharingEvent>();
    sharing = shareFolder({
      target: { kind: 'tcp', host: qemu.spice.host, port: qemu.spice.port },
      password: vmSetup.spicePassword,
      share: { path: folder, readOnly: false },
    }).subscribe(events);
    await firstValueFrom(
      events.pipe(
        filter((e) => e.kind === 'port-opened'),
        timeout(60_000),
      ),
    );
    say(
      "   Connected; the guest's spice-webdavd now serves the folder at http://127.0.0.1:9843/ inside the VM.",
    );

    const vm = qemu;
    const inGuest = async (cmd: string): Promise<string> => {
      for (let attempt = 0; ; attempt++) {
        const r = await vm.guestExec(cmd, { timeoutMs: 30_000 });
        if (r.code === 0 || attempt >= 10) return r.stdout;
        await new Promise((res) => setTimeout(res, 500));
      }
    };
    say('4. Inside the VM, asking what the server speaks (OPTIONS, what a mount asks first):');
    const options = await inGuest('curl -sf -m 10 -o /dev/null -D - -X OPTIONS http://127.0.0.1:9843/');
    const dav = /^DAV:[ \t]*([\w ,-]*)/im.exec(options)?.[1]?.trim();
    say(`     WebDAV classes ${dav ?? '(no DAV header in the answer)'}`);

    say('   Listing the folder (a WebDAV PROPFIND, as a file manager would):');
    const listing = await inGuest('curl -sf -m 10 -X PROPFIND -H "Depth: 1" http://127.0.0.1:9843/');
    const names = [...listing.matchAll(/<D:href>[^<]*\/([^/<]+)<\/D:href>/g)].map((m) =>
      decodeURIComponent(m[1]),
    );
    for (const name of names) say(`     ${name}`);

    say('5. Inside the VM, reading hello.txt:');
    const text = await inGuest('curl -sf -m 10 http://127.0.0.1:9843/hello.txt');
    say(`     ${text.trim() || '(the folder has no hello.txt)'}`);

    say('6. Inside the VM, writing from-the-guest.txt into the shared folder:');
    await inGuest(
      'echo "Written inside the VM at $(date)" > /tmp/g.txt && curl -sf -m 10 -T /tmp/g.txt http://127.0.0.1:9843/from-the-guest.txt',
    );
    const written = readFileSync(join(folder, 'from-the-guest.txt'), 'utf8').trim();
    say(`   On the host, ${join(folder, 'from-the-guest.txt')} now says: "${written}"`);

    say('\nThat is the whole path: guest program → spice-webdavd → SPICE → spice-webdav → your folder.');
    say('With your own VM: spice-webdav --direct HOST:PORT --share-dir DIR   (see --help)');
    say('7. Shutting the VM down.');
  } catch (err) {
    // Interrupted: the cleanup under way closed the guest's command channel (and a terminal's Ctrl-C reached
    // QEMU too), so the step in progress failed for that reason alone. The exit is 130, with nothing to report.
    if (interrupting) return;
    say(`\nThe demo failed: ${err instanceof Error ? err.message : String(err)}`);
    if (qemu !== undefined && command.verbose)
      say(`Guest console (last lines):\n${qemu.serialLog().split('\n').slice(-20).join('\n')}`);
    process.exitCode = 1;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    process.removeListener('SIGHUP', interrupted);
    await cleanUp();
  }
}
