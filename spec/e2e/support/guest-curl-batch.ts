// Many small HTTP requests from inside the guest in one round trip: each guestExec costs a few hundred ms
// under TCG, so a matrix of hostile requests runs as one shell script, a few requests at a time. Every request is sent by curl with
// --path-as-is and --globoff, so the engine sees the target exactly as written.

import type { RunningQemu } from '../../../src/edge/qemu/launcher';
import { shellQuote } from './shell-quote';

export interface BatchRequest {
  method?: string;
  /** The path part of the URL, e.g. '/%2e%2e/outside/secret.txt'. */
  path: string;
  headers?: Record<string, string>;
  /** A small inline body (sent with --data-binary, so no '@' or '-' at the start). */
  data?: string;
  /** Sent as the request target instead of the URL's path (absolute-form targets). */
  requestTarget?: string;
}

export interface BatchResult {
  readonly request: BatchRequest;
  /** 0 when no response arrived (see curlExitCode). */
  readonly status: number;
  readonly curlExitCode: number;
  /** The response body, at most its first 64 KiB. */
  readonly body: string;
}

const MARK = '@@R';
/** Requests in flight at once: the guest has two vCPUs, and spice-webdavd serves them concurrently. */
const PARALLEL = 6;

export async function guestCurlBatch(
  qemu: RunningQemu,
  requests: readonly BatchRequest[],
  perRequestTimeoutMs = 20_000,
): Promise<BatchResult[]> {
  const seconds = String(Math.ceil(perRequestTimeoutMs / 1000));
  const lines = requests.map((request, index) => {
    const args = [
      'curl',
      '-s',
      '--path-as-is',
      '--globoff',
      '--max-time',
      seconds,
      '-X',
      request.method ?? 'GET',
      ...Object.entries(request.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
      ...(request.data === undefined ? [] : ['--data-binary', request.data]),
      ...(request.requestTarget === undefined ? [] : ['--request-target', request.requestTarget]),
      '-o',
      `/tmp/batch-body.${index}`,
      '-w',
      '%{http_code}',
      `http://127.0.0.1:9843${request.path}`,
    ];
    const body = `/tmp/batch-body.${index}`;
    const out = `/tmp/batch-result.${index}`;
    return (
      `( : > ${body}; code=$(${args.map(shellQuote).join(' ')}); exit=$?; ` +
      `echo "${MARK} ${index} $exit $code $(head -c 65536 ${body} | base64 | tr -d '\\n')" > ${out}; ` +
      `rm -f ${body} ) &` +
      ((index + 1) % PARALLEL === 0 ? '\nwait' : '')
    );
  });
  const script = [
    'rm -f /tmp/batch-result.*',
    ...lines,
    'wait',
    ...requests.map((_, index) => `cat /tmp/batch-result.${index} 2>/dev/null`),
    'rm -f /tmp/batch-result.*',
  ].join('\n');
  const rounds = Math.ceil(requests.length / PARALLEL);
  const result = await qemu.guestExec(script, {
    timeoutMs: rounds * (perRequestTimeoutMs + 1000) + 10_000,
  });
  const byIndex = new Map<number, BatchResult>();
  for (const line of result.stdout.split('\n')) {
    const match = /^@@R (\d+) (\d+) (\d+)\s?(\S*)$/.exec(line.trim());
    if (match === null) continue;
    const index = Number(match[1]);
    const request = requests[index];
    if (request === undefined) continue;
    byIndex.set(index, {
      request,
      curlExitCode: Number(match[2]),
      status: Number(match[3]),
      body: Buffer.from(match[4] ?? '', 'base64').toString('utf8'),
    });
  }
  return requests.map((request, index) => {
    const found = byIndex.get(index);
    if (found === undefined) {
      throw new Error(
        `guestCurlBatch: no result for request ${index} (${request.method ?? 'GET'} ${request.path}); ` +
          `guest said: ${result.stdout.slice(-2000)}${result.stderr.slice(-2000)}`,
      );
    }
    return found;
  });
}

/** "METHOD target -> status", for readable expectations. */
export function describeResult(result: BatchResult): string {
  const { method = 'GET', path, requestTarget, headers } = result.request;
  const destination = headers?.['Destination'];
  return `${method} ${requestTarget ?? path}${destination === undefined ? '' : ` → ${destination}`}`;
}
