import { lookupDomain, noSuchDomainError } from '../../../../src/edge/libvirt/lookup-domain';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import { domainXml, FakeVirsh } from './support/fake-virsh';

describe('lookupDomain (through a fake virsh)', () => {
  let virsh: FakeVirsh;
  beforeEach(() => (virsh = new FakeVirsh()));
  afterEach(() => virsh.remove());
  const options = () => ({ uri: 'qemu:///system', virsh: virsh.binary });

  it('asks for the XML with its password on stdout, the domain after --, the URI with -c', async () => {
    virsh.setDomain('vm1', domainXml({ id: 4, port: 5900, password: 'pw' }));
    const state = await lookupDomain('vm1', options());
    expect(state.kind).toBe('running');
    expect(state.kind === 'running' && state.domain.spice?.password).toBe('pw');
    expect(virsh.calls()).toEqual([
      '-c qemu:///system dumpxml --security-info -- vm1',
      '-c qemu:///system domstate --reason -- vm1',
    ]);
  });

  it('tells a defined domain that does not run from one that does not exist', async () => {
    virsh.setDomain('vm1', domainXml({}));
    expect((await lookupDomain('vm1', options())).kind).toBe('inactive');
    expect((await lookupDomain('vm2', options())).kind).toBe('missing');
  });

  it('tells a domain libvirt is still starting (not reachable yet) from a running one', async () => {
    virsh.setDomain('vm1', domainXml({ id: 4, port: 5900 }));
    virsh.setState('vm1', 'paused (starting up)');
    expect((await lookupDomain('vm1', options())).kind).toBe('starting');
    virsh.setState('vm1', 'paused (user)');
    expect((await lookupDomain('vm1', options())).kind).toBe('running');
  });

  it('names the URI and what to check when libvirt is not reachable', async () => {
    virsh.failConnecting(
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n",
    );
    const error = await lookupDomain('vm1', options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpiceConnectionError);
    expect((error as SpiceConnectionError).reason).toBe('libvirt');
    expect((error as SpiceConnectionError).exitCode).toBe(18);
    expect((error as Error).message).toMatch(/qemu:\/\/\/system.*libvirt-sock.*check that libvirtd/);
  });

  it('says how to get access when libvirt refuses it', async () => {
    virsh.failConnecting(
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied\n",
    );
    const error = (await lookupDomain('vm1', options()).catch((e: unknown) => e)) as SpiceConnectionError;
    expect(error.reason).toBe('libvirt');
    expect(error.message).toMatch(/refused access.*libvirt group/);
  });

  it('lists the domains that exist when the one asked for does not', async () => {
    virsh.setList(['alpha', 'beta']);
    const error = await noSuchDomainError('gamma', options());
    expect(error.reason).toBe('no-domain');
    expect(error.exitCode).toBe(19);
    expect(error.message).toMatch(/No domain "gamma" on qemu:\/\/\/system\. Domains there: alpha, beta\./);
  });

  it('says how to install virsh when it is missing', async () => {
    const error = (await lookupDomain('vm1', {
      uri: undefined,
      virsh: `${virsh.dir}/no-such-virsh`,
    }).catch((e: unknown) => e)) as SpiceConnectionError;
    expect(error.reason).toBe('libvirt');
    expect(error.message).toMatch(/libvirt-clients/);
  });
});
