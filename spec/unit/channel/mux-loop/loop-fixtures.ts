import { filter, map, Observable } from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import type { EdgeEffect, SessionFactory } from '../../../../src/channel/mux-loop/select-loop';
import type { LoopInput, SessionInput, SessionOutput } from '../../../../src/channel/mux-loop/loop-messages';
import { clientIdFromBigInt, encodeMuxFrame, type ClientId } from '../../../../src/wire/mux-frame';

/**
 * Readable client ids for the timelines, shaped like spice-webdavd's (aligned pointers, sign-extended):
 * A = 0x10, B = -0x20 (negative ids happen); Z = 0 (never a real id, so only ever after a real one).
 */
export const ids: Record<string, ClientId> = {
  A: clientIdFromBigInt(0x10n),
  B: clientIdFromBigInt(-0x20n),
  Z: clientIdFromBigInt(0n),
};
const names = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
export const nameOf = (id: ClientId): string => names.get(id) ?? id;

export const portOpened: LoopInput = { kind: 'port-opened' };
export const portClosed: LoopInput = { kind: 'port-closed' };

/** vmc-data carrying whole frames, e.g. frames(['A', 'GET /']) or a close: frames(['A', '']). */
export function frames(...list: Array<[string, string]>): LoopInput {
  return {
    kind: 'vmc-data',
    pieces: [Buffer.concat(list.map(([name, text]) => encodeMuxFrame(ids[name], Buffer.from(text))))],
  };
}

/** vmc-data that starts with the rest of a frame sent before we joined, then whole frames. */
export function afterStaleTail(tail: string, ...list: Array<[string, string]>): LoopInput {
  const whole = frames(...list);
  return whole.kind === 'vmc-data' ? { ...whole, pieces: [Buffer.from(tail), ...whole.pieces] } : whole;
}

export const flushed = (name: string, generation = 1): LoopInput => ({
  kind: 'frame-flushed',
  key: { id: ids[name], generation },
  frames: 1,
});

type ShownEffect = Exclude<EdgeEffect, { kind: 'frames-delivered' }>;

/** Effects as short strings, so that expected timelines read like the protocol. */
export function show(effect: ShownEffect): string {
  switch (effect.kind) {
    case 'send-frames':
      // Frames written in one batch read "send A:first|second".
      return `send ${nameOf(effect.id)}:${effect.payloads.map((payload) => payload.toString()).join('|')}`;
    case 'close-frames':
      // Close frames written together read "close A B".
      return `close ${effect.ids.map(nameOf).join(' ')}`;
    case 'pause-reading':
      return 'pause';
    case 'resume-reading':
      return 'resume';
    case 'event': {
      const e = effect.event;
      if ('id' in e) return `${e.kind} ${nameOf(e.id)}`;
      if (e.kind === 'stream-resynced') return `${e.kind} ${e.skippedBytes}`;
      return e.kind;
    }
  }
}

/** The effects as strings, without `frames-delivered` (the bytes a session was given show in its input log). */
export const showAll = (effects$: Observable<EdgeEffect>): Observable<string> =>
  effects$.pipe(
    filter((effect): effect is ShownEffect => effect.kind !== 'frames-delivered'),
    map(show),
  );

/** What one fake session was told, as "frame: input" lines. */
export type InputLog = Record<string, string[]>;

function showInput(input: SessionInput): string {
  switch (input.kind) {
    case 'grant':
      return `grant ${input.chunks}`;
    case 'revoke':
      return 'revoke';
    case 'request-data':
      return `data ${Buffer.concat(input.pieces).toString()}`;
  }
}

/**
 * A fake session factory: each session (by client name and how many sessions that id has had, e.g. "A2") plays the cold timeline given for it
 * and logs what it was told. Sessions without a timeline never answer.
 */
export function fakeSessions(
  scheduler: TestScheduler,
  cold: RunHelpers['cold'],
  timelines: Record<string, { marbles: string; values?: Record<string, SessionOutput>; error?: unknown }>,
): { factory: SessionFactory; log: InputLog; subscriptions: Record<string, string[]> } {
  const log: InputLog = {};
  const subscriptions: Record<string, string[]> = {};
  const sessionsPerId = new Map<string, number>();
  const factory: SessionFactory = (key, input$) => {
    const count = (sessionsPerId.get(key.id) ?? 0) + 1;
    sessionsPerId.set(key.id, count);
    const name = `${nameOf(key.id)}${count}`;
    log[name] = [];
    subscriptions[name] = [`opened@${scheduler.now()}`];
    input$.subscribe({
      next: (input) => log[name].push(`${scheduler.now()}: ${showInput(input)}`),
    });
    const t = timelines[name] ?? { marbles: '-' };
    return new Observable<SessionOutput>((subscriber) => {
      const s = cold<SessionOutput>(t.marbles, t.values, t.error).subscribe(subscriber);
      return () => {
        subscriptions[name].push(`closed@${scheduler.now()}`);
        s.unsubscribe();
      };
    });
  };
  return { factory, log, subscriptions };
}

export const response = (text: string): SessionOutput => ({
  kind: 'response-data',
  frames: [Buffer.from(text)],
});
export const consumed = (bytes: number): SessionOutput => ({ kind: 'request-consumed', bytes });
export const returned = (chunks: number): SessionOutput => ({ kind: 'credits-returned', chunks });
