import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A stand-in for virsh in a temp dir: `dumpxml --security-info -- DOMAIN` prints DIR/domains/DOMAIN.xml (or
 * libvirt's "failed to get domain" error), `domstate --reason -- DOMAIN` prints DIR/state-DOMAIN (default
 * "running (booted)"), `list --all --name` prints DIR/list, and when DIR/connect-error
 * exists every command fails with its text, as virsh does when libvirtd is not reachable. Every call's
 * arguments are appended to DIR/calls, one line each.
 */
export class FakeVirsh {
  readonly dir = mkdtempSync(join(tmpdir(), 'spice-webdav-fake-virsh-'));
  readonly binary = join(this.dir, 'virsh');

  constructor() {
    writeFileSync(join(this.dir, 'list'), '');
    writeFileSync(
      this.binary,
      `#!/bin/sh
dir='${this.dir}'
echo "$*" >> "$dir/calls"
if [ -f "$dir/connect-error" ]; then cat "$dir/connect-error" >&2; exit 1; fi
while [ "$1" = "-c" ]; do shift 2; done
case "$1" in
  dumpxml)
    domain="$4"
    if [ -f "$dir/domain-$domain.xml" ]; then cat "$dir/domain-$domain.xml"; exit 0; fi
    echo "error: failed to get domain '$domain'" >&2; exit 1 ;;
  domstate)
    domain="$4"
    if [ -f "$dir/state-$domain" ]; then cat "$dir/state-$domain"; else echo 'running (booted)'; fi
    exit 0 ;;
  list) cat "$dir/list"; exit 0 ;;
  *) echo "error: unknown command $1" >&2; exit 1 ;;
esac
`,
    );
    chmodSync(this.binary, 0o755);
  }

  /** Makes DOMAIN (by this key: a name, id or UUID) answer with this XML; undefined removes it. */
  setDomain(key: string, xml: string | undefined): void {
    const file = join(this.dir, `domain-${key}.xml`);
    if (xml === undefined) {
      if (existsSync(file)) unlinkSync(file);
    } else writeFileSync(file, xml);
  }

  setState(key: string, state: string): void {
    writeFileSync(join(this.dir, `state-${key}`), `${state}\n`);
  }

  setList(names: readonly string[]): void {
    writeFileSync(join(this.dir, 'list'), names.map((n) => `${n}\n`).join(''));
  }

  failConnecting(stderr: string | undefined): void {
    const file = join(this.dir, 'connect-error');
    if (stderr === undefined) unlinkSync(file);
    else writeFileSync(file, stderr);
  }

  calls(): string[] {
    const file = join(this.dir, 'calls');
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A domain XML as libvirt 9 prints it with --security-info (trimmed to what matters). */
export function domainXml(options: {
  name?: string;
  id?: number;
  port?: number;
  tlsPort?: number;
  listen?: string;
  password?: string;
  graphics?: boolean;
  webdav?: boolean;
}): string {
  const name = options.name ?? 'vm1';
  const id = options.id === undefined ? '' : ` id='${options.id}'`;
  const port = options.port ?? -1;
  const tls = options.tlsPort === undefined ? '' : ` tlsPort='${options.tlsPort}'`;
  const listen = options.listen ?? '127.0.0.1';
  const passwd = options.password === undefined ? '' : ` passwd='${options.password}'`;
  const graphics =
    options.graphics === false
      ? "<graphics type='vnc' port='5900' autoport='yes'/>"
      : `<graphics type='spice' port='${port}'${tls} autoport='yes' listen='${listen}'${passwd}>
      <listen type='address' address='${listen}'/>
    </graphics>`;
  const webdav =
    options.webdav === false
      ? ''
      : `<channel type='spiceport'>
      <source channel='org.spice-space.webdav.0'/>
      <target type='virtio' name='org.spice-space.webdav.0' state='disconnected'/>
      <alias name='channel0'/>
    </channel>`;
  return `<domain type='qemu'${id}>
  <name>${name}</name>
  <uuid>7e6956a8-0499-41d6-a8d7-59b1aa0e88a1</uuid>
  <devices>
    <channel type='unix'>
      <source mode='bind' path='/tmp/cmd.sock'/>
      <target type='virtio' name='org.spiceweb.test.cmd'/>
    </channel>
    ${webdav}
    ${graphics}
  </devices>
</domain>
`;
}
