import { Observable, Subject, type Subscription } from 'rxjs';

import type { LifecycleEvent } from '../../../../src/edge/libvirt/domain-events';
import { shareLibvirtDomain } from '../../../../src/edge/libvirt/share-libvirt-domain';
import type { SharingEvent, SpiceShareOptions } from '../../../../src/edge/sharing/sharing-types';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import { domainXml, FakeVirsh } from './support/fake-virsh';

/** Records every SPICE share the follower starts, and whether it is still running. */
class FakeShares {
  readonly started: { options: SpiceShareOptions; closed: boolean }[] = [];
  readonly share = (options: SpiceShareOptions): Observable<SharingEvent> =>
    new Observable<SharingEvent>(() => {
      const entry = { options, closed: false };
      this.started.push(entry);
      return () => (entry.closed = true);
    });
}

/** Resolves once `events` holds an event that matches, checking after each new event. */
function eventually(events: SharingEvent[], seen: Subject<void>, match: (e: SharingEvent) => boolean) {
  return new Promise<void>((resolve) => {
    if (events.some(match)) return resolve();
    const subscription: Subscription = seen.subscribe(() => {
      if (events.some(match)) {
        subscription.unsubscribe();
        resolve();
      }
    });
  });
}

describe('shareLibvirtDomain', () => {
  let virsh: FakeVirsh;
  let lifecycle: Subject<LifecycleEvent>;
  let shares: FakeShares;
  beforeEach(() => {
    virsh = new FakeVirsh();
    lifecycle = new Subject();
    shares = new FakeShares();
  });
  afterEach(() => virsh.remove());

  function run(wait: boolean, reconnect: boolean) {
    const events: SharingEvent[] = [];
    const seen = new Subject<void>();
    let failure: unknown;
    let completed = false;
    const subscription = shareLibvirtDomain(
      {
        target: { kind: 'libvirt', uri: 'qemu:///system', domain: 'vm1', wait, virsh: virsh.binary },
        share: { path: '/srv/share' },
        ...(reconnect ? { reconnect: { mode: 'after-loss' as const } } : {}),
      },
      new Subject(),
      shares.share,
      { events: () => lifecycle, recheckMs: 3_600_000 },
    ).subscribe({
      next: (event) => {
        events.push(event);
        seen.next();
      },
      error: (error: unknown) => {
        failure = error;
        seen.next();
      },
      complete: () => {
        completed = true;
        seen.next();
      },
    });
    return {
      events,
      until: (match: (e: SharingEvent) => boolean) => eventually(events, seen, match),
      failed: () =>
        new Promise<unknown>((resolve) => {
          if (failure !== undefined) return resolve(failure);
          seen.subscribe(() => failure !== undefined && resolve(failure));
        }),
      completed: () => completed,
      stop: () => subscription.unsubscribe(),
    };
  }

  it('connects to the display libvirt reports, with the password libvirt has', async () => {
    virsh.setDomain('vm1', domainXml({ id: 1, port: 5907, password: 'pw' }));
    const sharing = run(false, false);
    await sharing.until((e) => e.kind === 'domain-started');
    expect(shares.started).toHaveLength(1);
    expect(shares.started[0].options.target).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5907 });
    expect(shares.started[0].options.password).toBe('pw');
    expect(shares.started[0].options.share).toEqual({ path: '/srv/share' });
    sharing.stop();
    expect(shares.started[0].closed).toBe(true);
  });

  it('without --wait, fails with the list of domains when there is no such domain', async () => {
    virsh.setList(['other']);
    const error = (await run(false, false).failed()) as SpiceConnectionError;
    expect(error.reason).toBe('no-domain');
    expect(error.message).toContain('Domains there: other');
  });

  it('without --wait, fails on a domain that does not run and says how to start it', async () => {
    virsh.setDomain('vm1', domainXml({}));
    const error = (await run(false, false).failed()) as SpiceConnectionError;
    expect(error.message).toMatch(
      /not running: start it \(virsh -c qemu:\/\/\/system start vm1\) or pass --wait/,
    );
  });

  it('with --wait, waits for the domain to be created, then connects', async () => {
    const sharing = run(true, false);
    await sharing.until((e) => e.kind === 'domain-waiting');
    expect(shares.started).toHaveLength(0);
    virsh.setDomain('vm1', domainXml({ id: 1, port: 5900 }));
    lifecycle.next({ domain: 'vm1', event: 'Started', detail: 'Booted' });
    await sharing.until((e) => e.kind === 'domain-started');
    expect(shares.started).toHaveLength(1);
    sharing.stop();
  });

  it('does not connect while libvirt is still starting the domain, and connects once it runs', async () => {
    virsh.setDomain('vm1', domainXml({ id: 1, port: 5900 }));
    virsh.setState('vm1', 'paused (starting up)');
    const sharing = run(true, false);
    await sharing.until((e) => e.kind === 'domain-waiting' && e.state === 'starting');
    expect(shares.started).toHaveLength(0);
    virsh.setState('vm1', 'running (booted)');
    lifecycle.next({ domain: 'vm1', event: 'Started', detail: 'Booted' });
    await sharing.until((e) => e.kind === 'domain-started');
    expect(shares.started).toHaveLength(1);
    sharing.stop();
  });

  it('with --reconnect, follows a stop and a start on another port, and ends when the domain is undefined', async () => {
    virsh.setDomain('vm1', domainXml({ id: 1, port: 5900 }));
    const sharing = run(false, true);
    await sharing.until((e) => e.kind === 'domain-started');

    virsh.setDomain('vm1', domainXml({}));
    lifecycle.next({ domain: 'vm1', event: 'Stopped', detail: 'Destroyed' });
    await sharing.until((e) => e.kind === 'domain-stopped');
    expect(shares.started[0].closed).toBe(true);

    virsh.setDomain('vm1', domainXml({ id: 2, port: 5901 }));
    lifecycle.next({ domain: 'vm1', event: 'Started', detail: 'Booted' });
    await sharing.until(
      (e) => e.kind === 'domain-started' && e.target.kind === 'tcp' && e.target.port === 5901,
    );
    expect(shares.started).toHaveLength(2);

    virsh.setDomain('vm1', undefined);
    lifecycle.next({ domain: 'vm1', event: 'Stopped', detail: 'Destroyed' });
    lifecycle.next({ domain: 'vm1', event: 'Undefined', detail: 'Removed' });
    await sharing.until((e) => e.kind === 'domain-undefined');
    expect(sharing.completed()).toBe(true);
    expect(shares.started[1].closed).toBe(true);
    expect(sharing.events.map((e) => e.kind)).toEqual([
      'domain-started',
      'domain-stopped',
      'domain-started',
      'domain-stopped',
      'domain-undefined',
    ]);
  });

  it('with --reconnect, waits for a transient domain that was destroyed (gone without "Undefined")', async () => {
    virsh.setDomain('vm1', domainXml({ id: 1, port: 5900 }));
    const sharing = run(false, true);
    await sharing.until((e) => e.kind === 'domain-started');
    virsh.setDomain('vm1', undefined);
    lifecycle.next({ domain: 'vm1', event: 'Stopped', detail: 'Destroyed' });
    await sharing.until((e) => e.kind === 'domain-stopped');
    virsh.setDomain('vm1', domainXml({ id: 3, port: 5902 }));
    lifecycle.next({ domain: 'vm1', event: 'Started', detail: 'Booted' });
    await sharing.until(
      (e) => e.kind === 'domain-started' && e.target.kind === 'tcp' && e.target.port === 5902,
    );
    expect(sharing.completed()).toBe(false);
    sharing.stop();
  });

  it('ignores events of other domains once it knows its own', async () => {
    virsh.setDomain('vm1', domainXml({ id: 1, port: 5900 }));
    const sharing = run(false, true);
    await sharing.until((e) => e.kind === 'domain-started');
    const callsBefore = virsh.calls().length;
    virsh.setDomain('vm1', domainXml({}));
    // Looks run one after the other in event order: a look for "other" would come before vm1's.
    lifecycle.next({ domain: 'other', event: 'Started', detail: 'Booted' });
    lifecycle.next({ domain: 'vm1', event: 'Stopped', detail: 'Shutdown' });
    await sharing.until((e) => e.kind === 'domain-stopped');
    expect(virsh.calls().length).toBe(callsBefore + 1);
    sharing.stop();
  });
});
