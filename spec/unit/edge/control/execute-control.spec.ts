import { mergeMap, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SharingCommand, SharingEvent } from '../../../../src/edge/sharing/sharing-types';
import { executeControl, type ControlTarget } from '../../../../src/edge/control/execute-control';
import { INITIAL_STATUS, statusReport } from '../../../../src/edge/control/sharing-status';
import { describeReply } from '../../../../src/edge/control/terminal-commands';

describe('executeControl', () => {
  const scheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

  it('answers share once the share started, having sent the command', () => {
    const sent: SharingCommand[] = [];
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<SharingEvent>('--a--b', {
        a: { kind: 'port-opened' },
        b: { kind: 'sharing-started', share: { path: '/x', readOnly: true } },
      });
      const expected = '                 -----(r|)';
      const target: ControlTarget = {
        events$,
        send: (c) => sent.push(c),
        status: () => statusReport(INITIAL_STATUS, 0),
      };
      expectObservable(executeControl({ kind: 'share', path: '/x', readOnly: true }, target)).toBe(expected, {
        r: { ok: true, shared: { path: '/x', readOnly: true } },
      });
    });
    expect(sent).toEqual([{ kind: 'share', path: '/x', readOnly: true }]);
  });

  const failedThenStopped = {
    f: { kind: 'share-failed', share: { path: '/gone', readOnly: false }, message: 'no such folder' },
    s: { kind: 'sharing-stopped', droppedClients: 0 },
  } as const;

  const listening = (events$: ControlTarget['events$']): ControlTarget => ({
    events$,
    send: () => undefined,
    status: () => statusReport(INITIAL_STATUS, 0),
  });

  it('reports a failed share', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<SharingEvent>('-f-s', failedThenStopped);
      const expected = '                 -(r|)';
      const share = executeControl({ kind: 'share', path: '/gone', readOnly: false }, listening(events$));
      expectObservable(share).toBe(expected, {
        r: { ok: false, error: 'cannot share /gone: no such folder' },
      });
    });
  });

  // Two clients' share commands at once each took the first outcome reported (session 22): B, whose folder
  // did not exist, was told A's folder was shared. The second now waits until the first has its answer.
  it('runs commands that await an outcome one at a time, each answered by its own', () => {
    const sent: SharingCommand[] = [];
    scheduler().run(({ hot, cold, expectObservable }) => {
      const events$ = hot<SharingEvent>('--a--f', {
        a: { kind: 'sharing-started', share: { path: '/a', readOnly: false } },
        f: { kind: 'share-failed', share: { path: '/gone', readOnly: false }, message: 'no such folder' },
      });
      const target: ControlTarget = {
        events$,
        send: (c) => sent.push(c),
        status: () => statusReport(INITIAL_STATUS, 0),
      };
      const first = executeControl({ kind: 'share', path: '/a', readOnly: false }, target);
      const second = cold('-(x|)').pipe(
        mergeMap(() => executeControl({ kind: 'share', path: '/gone', readOnly: false }, target)),
      );
      expectObservable(first).toBe('   --(r|)', { r: { ok: true, shared: { path: '/a', readOnly: false } } });
      expectObservable(second).toBe('  -----(r|)', {
        r: { ok: false, error: 'cannot share /gone: no such folder' },
      });
    });
    expect(sent).toEqual([
      { kind: 'share', path: '/a', readOnly: false },
      { kind: 'share', path: '/gone', readOnly: false },
    ]);
  });

  it('reports a stop', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<SharingEvent>('-f-s', failedThenStopped);
      const expected = '                 ---(r|)';
      expectObservable(executeControl({ kind: 'stop' }, listening(events$))).toBe(expected, {
        r: { ok: true, stopped: true },
      });
    });
  });

  it('hears an outcome reported while the command is being sent', () => {
    const events = new Subject<SharingEvent>();
    const target: ControlTarget = {
      events$: events,
      send: () => events.next({ kind: 'sharing-stopped', droppedClients: 2 }),
      status: () => statusReport(INITIAL_STATUS, 0),
    };
    const replies: string[] = [];
    executeControl({ kind: 'stop' }, target).subscribe((r) => replies.push(describeReply(r)));
    expect(replies).toEqual(['sharing stopped']);
  });

  it('answers status at once with the current report', () => {
    scheduler().run(({ expectObservable, cold }) => {
      const target: ControlTarget = {
        events$: cold<SharingEvent>('-'),
        send: () => undefined,
        status: () => statusReport(INITIAL_STATUS, 0),
      };
      expectObservable(executeControl({ kind: 'status' }, target)).toBe('(r|)', {
        r: { ok: true, status: statusReport(INITIAL_STATUS, 0) },
      });
    });
  });
});
