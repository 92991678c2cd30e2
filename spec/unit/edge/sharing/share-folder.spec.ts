import { SpicevmcCap } from '../../../../src/wire/constants';
import { map, NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describeShare } from '../../../../src/edge/control/describe-share';
import { shareFolder } from '../../../../src/edge/sharing/share-folder';
import type {
  SharingCommand,
  SharingEvent,
  SpiceShareOptions,
} from '../../../../src/edge/sharing/sharing-types';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import type { SessionEvent } from '../../../../src/edge/spice/spice-session';
import { encodeMuxFrame } from '../../../../src/wire/mux-frame';
import { ids, nameOf } from '../../channel/mux-loop/loop-fixtures';
import { fakeEngines } from './support/fake-engine';
import { endpoint, fakeLink } from './support/fake-link';

// shareFolder over a fake SPICE session (a webdav link without a socket) and fake engines: the edge's
// lifecycle in virtual time. Session timelines: c connecting, m main linked, w webdav linked, o guest port
// opened, x guest port closed, a/b a request from guest connection A/B, # the channel lost.

const lost = new SpiceConnectionError('server-gone', 'The SPICE server went away.');

function showEvent(event: SharingEvent): string {
  switch (event.kind) {
    case 'sharing-started':
      return `started ${describeShare(event.share)}`;
    case 'share-failed':
      return `failed ${describeShare(event.share)}`;
    case 'client-opened':
    case 'client-closed':
    case 'client-refused':
      return `${event.kind} ${nameOf(event.id)}`;
    case 'traffic':
      return `${event.direction} ${nameOf(event.id)}`;
    case 'channel-ready':
      return event.lz4 ? 'channel-ready lz4' : 'channel-ready';
    case 'compressed-data':
      return `compressed ${event.compressedBytes}->${event.bytes}`;
    default:
      return event.kind;
  }
}

describe('shareFolder', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** The session's events by marble letter, the link's writes and the engines' log. */
  function fixture() {
    const now = (): number => scheduler.now();
    const { linked, writes } = fakeLink(now);
    const engines = fakeEngines(now);
    const request = (name: string): SessionEvent => {
      const frame = encodeMuxFrame(ids[name], Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      return { kind: 'vmc-data', pieces: [frame], bytes: frame.length };
    };
    const session: Record<string, SessionEvent> = {
      c: { kind: 'connecting', target: { kind: 'tcp', host: '127.0.0.1', port: 5900 } },
      m: { kind: 'main-linked', sessionId: 7, endpoint },
      w: linked,
      o: { kind: 'port-event', event: 'opened' },
      x: { kind: 'port-event', event: 'closed' },
      a: request('A'),
      b: request('B'),
    };
    const run = (
      session$: Observable<SessionEvent>,
      commands$: Observable<SharingCommand> = NEVER,
    ): Observable<string> => {
      const options: SpiceShareOptions = {
        target: { kind: 'tcp', host: '127.0.0.1', port: 5900 },
        share: { path: '/one' },
        limits: { tickMs: 1000 },
        connectSpice: () => session$,
        createEngine: engines.createEngine,
      };
      return shareFolder(options, commands$).pipe(map(showEvent));
    };
    return { session, writes, engineLog: engines.log, run };
  }

  const events = {
    c: 'connecting',
    m: 'connected',
    w: 'channel-ready',
    s: 'started /one',
    t: 'started /two',
    f: 'failed /gone',
    o: 'port-opened',
    x: 'port-closed',
    a: 'client-opened A',
    b: 'client-opened B',
    i: 'in A',
    j: 'in B',
    A: 'client-closed A',
    S: 'sharing-stopped',
  };

  it('shares the folder of the options once the webdav channel is up, and serves guest connections from it', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const session = hot<SessionEvent>('   c-m-w-----o---a-----', f.session);
      const unsub = '                      ^-------------------!';
      const expected = '                    c-m-(ws)--o---(ai)--';
      expectObservable(f.run(session), unsub).toBe(expected, events);
      flush();
      expect(f.engineLog).toEqual(['14: serve /one', '20: close /one']);
    });
  });

  it('says whether LZ4 was asked for, and reports each compressed message the server sent before its data', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const f = fixture();
      const linked = f.session.w;
      const request = f.session.a;
      if (linked.kind !== 'webdav-linked' || request.kind !== 'vmc-data') throw new Error('fixture changed');
      const session = hot<SessionEvent>('   c-m-w-----o---z-----', {
        ...f.session,
        w: { ...linked, advertisedChannelCaps: [SpicevmcCap.DATA_COMPRESS_LZ4] },
        z: { ...request, compressedSize: 12 },
      });
      const unsub = '                      ^-------------------!';
      const expected = '                    c-m-(ws)--o---(zai)-';
      expectObservable(f.run(session), unsub).toBe(expected, {
        ...events,
        w: 'channel-ready lz4',
        z: `compressed 12->${request.bytes}`,
      });
    });
  });

  // The loop leaves the old share's connections to its engine, which ends them once their answers are over
  // (share-retire.spec.ts, with real engines); these fake engines cannot retire, so they are closed at once.
  it('stop retires the engine and leaves its guest connections to it; new ones get the stand-in', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const session = hot<SessionEvent>('   c-m-w-----o---a-----------b-----', f.session);
      const commands = hot<SharingCommand>('-------------------s-------------', { s: { kind: 'stop' } });
      const unsub = '                      ^-------------------------------!';
      const expected = '                    c-m-(ws)--o---(ai)-S------(bj)----';
      expectObservable(f.run(session, commands), unsub).toBe(expected, events);
      flush();
      expect(f.engineLog).toEqual(['14: serve /one', '19: close /one']);
      expect(f.writes).toEqual([]);
    });
  });

  it('a new share replaces the engine: connections of the old one stay with it, new ones are served by the new one', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const share: SharingCommand = { kind: 'share', path: '/two' };
      const session = hot<SessionEvent>('   c-m-w-----o---a-----------a---b-', f.session);
      const commands = hot<SharingCommand>('-------------------t-------------', { t: share });
      const unsub = '                      ^-------------------------------!';
      const expected = '                    c-m-(ws)--o---(ai)-t------i---(bj)';
      expectObservable(f.run(session, commands), unsub).toBe(expected, events);
      flush();
      expect(f.engineLog).toEqual(['14: serve /one', '19: close /one', '30: serve /two', '32: close /two']);
      expect(f.writes).toEqual([]);
    });
  });

  // A script's `share /two read-only` sent while the client was still connecting was answered, then replaced
  // by the start-up share (/one, writable) the moment the channel came up (session 22).
  it('a command sent before the channel is up wins over the start-up share', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const share: SharingCommand = { kind: 'share', path: '/two' };
      const session = hot<SessionEvent>('   c-m-w-----o---a-----', f.session);
      const commands = hot<SharingCommand>('-t--------------------', { t: share });
      const unsub = '                      ^-------------------!';
      const expected = '                    ctm-w-----o---(ai)--';
      expectObservable(f.run(session, commands), unsub).toBe(expected, events);
      flush();
      expect(f.engineLog).toEqual(['14: serve /two', '20: close /two']);
    });
  });

  it('a share that fails leaves the current one in place', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const gone: SharingCommand = { kind: 'share', path: '/gone' };
      const session = hot<SessionEvent>('   c-m-w-----o---a-----------b-----', f.session);
      const commands = hot<SharingCommand>('-------------------g-------------', { g: gone });
      const unsub = '                      ^-------------------------------!';
      const expected = '                    c-m-(ws)--o---(ai)-f------(bj)----';
      expectObservable(f.run(session, commands), unsub).toBe(expected, events);
      flush();
      expect(f.engineLog).toEqual(['14: serve /one', '26: serve /one', '32: close /one']);
    });
  });

  it('drops the guest connections without a word to the guest when its port closes, and keeps the share', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const session = hot<SessionEvent>('   c-m-w-----o---a----x--------', f.session);
      const unsub = '                      ^--------------------------!';
      const expected = '                    c-m-(ws)--o---(ai)-(Ax)-------';
      expectObservable(f.run(session), unsub).toBe(expected, events);
      flush();
      expect(f.writes).toEqual([]);
      expect(f.engineLog).toEqual(['14: serve /one', '27: close /one']);
    });
  });

  it('fails with the connection error when the channel is lost, and closes the engine', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const f = fixture();
      const session = hot<SessionEvent>('   c-m-w-----o---a---#', f.session, lost);
      const expected = '                    c-m-(ws)--o---(ai)#';
      expectObservable(f.run(session)).toBe(expected, events, lost);
      flush();
      expect(f.engineLog).toEqual(['14: serve /one', '18: close /one']);
    });
  });

  it('unsubscribing closes the engine and the SPICE session', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const f = fixture();
      const session = hot<SessionEvent>('   c-m-w-----o---', f.session);
      const unsub = '                      ^-------------!';
      const expected = '                    c-m-(ws)--o---';
      expectObservable(f.run(session), unsub).toBe(expected, events);
      expectSubscriptions(session.subscriptions).toBe(unsub);
      flush();
      expect(f.engineLog).toEqual(['14: close /one']);
    });
  });
});
