// spice-webdavd answers about a second after the webdav channel links, and the guest's first connection may
// still find the port closed: specs poll with a real guest request until the share answers as expected.

import type { RunningQemu } from '../../../src/edge/qemu/launcher';
import { guestCurl, type GuestCurlRequest, type GuestCurlResponse } from './guest-curl';

export interface ShareProbe {
  /** The request to send; default an OPTIONS of '/'. */
  readonly request?: GuestCurlRequest;
  /** Whether a response shows the share serving; default status 200. */
  readonly accept?: (response: GuestCurlResponse) => boolean;
  /** How many probes, 0.5 s apart, before giving up; default 40 (about 20 s plus the probes' own time). */
  readonly attempts?: number;
  /** Extra context for the error (recent events, the daemon's log), read only when the wait fails. */
  readonly explain?: () => Promise<string>;
}

const PAUSE_BETWEEN_PROBES_MS = 500;

/** Resolves once a probe from the guest is answered as `accept` wants; rejects with the last answer seen. */
export async function untilGuestReachesShare(qemu: RunningQemu, probe: ShareProbe = {}): Promise<void> {
  const request = probe.request ?? { method: 'OPTIONS', path: '/', timeoutMs: 5000 };
  const accept = probe.accept ?? ((response) => response.status === 200);
  const attempts = probe.attempts ?? 40;
  let last = 'no probe answered';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const response = await guestCurl(qemu, request);
    if (accept(response)) return;
    last = `status ${response.status}, curl exit ${response.curlExitCode} ${response.curlError}`.trim();
    await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_PROBES_MS));
  }
  const context = probe.explain === undefined ? '' : `; ${await probe.explain()}`;
  throw new Error(`the guest never reached the share (last probe: ${last}${context})`);
}
