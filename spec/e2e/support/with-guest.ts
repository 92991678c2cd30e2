// A booted test guest for a whole e2e spec file: beforeAll builds (cached) and boots it, afterAll stops it.
//
//   const guest = withGuest();
//   it('...', async () => { await guest.qemu.guestExec('ls /'); });

import {
  buildGuest,
  checkQemuAvailable,
  startQemu,
  type GuestImage,
  type QemuOptions,
  type RunningQemu,
} from '../../../src/edge/qemu/launcher';

export interface GuestFixture {
  /** The running VM; throws if beforeAll has not run or failed. */
  readonly qemu: RunningQemu;
  readonly image: GuestImage;
}

/** Build + boot under TCG on a cold cache, with room for a busy two-core machine. */
const SETUP_TIMEOUT_MS = 300_000;

export function withGuest(options: Omit<QemuOptions, 'guest'> = {}): GuestFixture {
  let running: RunningQemu | undefined;
  let image: GuestImage | undefined;

  beforeAll(async () => {
    const availability = await checkQemuAvailable();
    if (!availability.ok) throw new Error(availability.hint);
    image = await buildGuest();
    running = await startQemu({ ...options, guest: image });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await running?.stop();
    running = undefined;
  }, 30_000);

  return {
    get qemu(): RunningQemu {
      if (running === undefined)
        throw new Error('withGuest: the guest is not running (did its beforeAll fail?)');
      return running;
    },
    get image(): GuestImage {
      if (image === undefined)
        throw new Error('withGuest: the guest image is not built (did its beforeAll fail?)');
      return image;
    },
  };
}
