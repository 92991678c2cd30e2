import { readFile } from 'node:fs/promises';
import { connect, type NetConnectOpts } from 'node:net';

import type { QemuExit } from './qemu-types';

/** Why a wait ended without success; startQemu turns it into a message with QEMU's output. */
export type WaitFailure = { kind: 'timeout' } | { kind: 'exited'; exit: QemuExit };

export class WaitFailedError extends Error {
  constructor(
    readonly failure: WaitFailure,
    what: string,
  ) {
    super(
      failure.kind === 'timeout'
        ? `timed out waiting for ${what}`
        : `QEMU exited (code ${failure.exit.code}, signal ${failure.exit.signal}) while waiting for ${what}`,
    );
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function canConnect(target: NetConnectOpts, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(target);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls until `check` is true, QEMU exits, or the deadline passes. Each check is short so a slow start
 * (TCG on a busy machine) only costs retries.
 */
async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  exited: Promise<QemuExit>,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  let exit: QemuExit | undefined;
  void exited.then((e) => (exit = e));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (exit !== undefined) throw new WaitFailedError({ kind: 'exited', exit }, what);
    if (Date.now() >= deadline) throw new WaitFailedError({ kind: 'timeout' }, what);
    await sleep(intervalMs);
  }
}

/** Resolves once a TCP (host/port) or unix (path) connection to QEMU succeeds. */
export function waitForConnectable(
  what: string,
  target: NetConnectOpts,
  exited: Promise<QemuExit>,
  timeoutMs: number,
): Promise<void> {
  return pollUntil(what, () => canConnect(target, 500), exited, timeoutMs, 100);
}

/** Resolves once `marker` appears in the file (the serial console log). */
export function waitForMarker(
  what: string,
  file: string,
  marker: string,
  exited: Promise<QemuExit>,
  timeoutMs: number,
): Promise<void> {
  const seen = async () => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text.includes(marker);
  };
  return pollUntil(what, seen, exited, timeoutMs, 200);
}
