// HTTP from inside the guest: curl talks to spice-webdavd on 127.0.0.1:9843 directly, so many parallel
// connections avoid the host forward's listen backlog of 1 (docs/test-guest-notes.md pitfall 9).

import type { RunningQemu } from '../../../src/edge/qemu/launcher';
import { parseHeaderDump, type HttpResponse } from './http-response';
import { shellQuote } from './shell-quote';

export interface GuestCurlRequest {
  method?: string;
  /** Request target as sent (curl runs with --path-as-is and --globoff), e.g. '/dir/file.txt'. */
  path: string;
  headers?: Record<string, string>;
  /** A file in the guest sent as the body (make large ones with dd in the guest). */
  bodyFile?: string;
  /** A small body written to a guest temp file first (at most 256 KiB). */
  body?: string | Buffer;
  /** Default 30 s; curl's --max-time in the guest. */
  timeoutMs?: number;
  /** Default 9843 (spice-webdavd). */
  port?: number;
  /** Extra curl arguments, e.g. ['--http1.0']. */
  extraArgs?: string[];
}

export interface GuestCurlResponse extends HttpResponse {
  /** curl's exit status: 0 on a complete exchange; 28 timeout, 52 empty reply, 56 receive error, ... */
  curlExitCode: number;
  /** curl's error message when curlExitCode is not 0. */
  curlError: string;
}

const MAX_INLINE_BODY = 256 * 1024;
let sequence = 0;

async function writeGuestTempFile(qemu: RunningQemu, content: string | Buffer): Promise<string> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (bytes.length > MAX_INLINE_BODY) {
    throw new Error(
      `guestCurl: body of ${bytes.length} bytes is too large to pass inline; write it with dd in the guest and use bodyFile`,
    );
  }
  const path = `/tmp/guest-curl-body.${++sequence}`;
  const result = await qemu.guestExec(
    `printf '%s' ${shellQuote(bytes.toString('base64'))} | base64 -d > ${path}`,
  );
  if (result.code !== 0) throw new Error(`guestCurl: cannot write ${path} in the guest: ${result.stderr}`);
  return path;
}

function section(stdout: string, start: string, end?: string): string {
  const from = stdout.indexOf(`${start}\n`);
  if (from < 0) return '';
  const rest = stdout.slice(from + start.length + 1);
  const to = end === undefined ? -1 : rest.indexOf(`${end}\n`);
  return to < 0 ? rest : rest.slice(0, to);
}

/** Runs curl in the guest against http://127.0.0.1:<port><path> and returns the response. */
export async function guestCurl(qemu: RunningQemu, request: GuestCurlRequest): Promise<GuestCurlResponse> {
  const method = request.method ?? 'GET';
  const timeoutMs = request.timeoutMs ?? 30_000;
  const bodyFile =
    request.body !== undefined ? await writeGuestTempFile(qemu, request.body) : request.bodyFile;
  const id = ++sequence;
  const headerFile = `/tmp/guest-curl-headers.${id}`;
  const outFile = `/tmp/guest-curl-out.${id}`;
  const args = [
    'curl',
    '-sS',
    '--path-as-is',
    '--globoff',
    '--max-time',
    String(Math.max(1, Math.ceil(timeoutMs / 1000))),
    ...(method === 'HEAD' ? ['--head'] : ['-X', method]),
    ...Object.entries(request.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    ...(bodyFile === undefined ? [] : ['--data-binary', `@${bodyFile}`]),
    ...(request.extraArgs ?? []),
    '-D',
    headerFile,
    '-o',
    outFile,
    `http://127.0.0.1:${request.port ?? 9843}${request.path}`,
  ];
  const command = [
    `: > ${headerFile}; : > ${outFile}`,
    `${args.map(shellQuote).join(' ')} 2>/tmp/guest-curl-err.${id}`,
    'echo "@@CURL-EXIT $?"',
    'echo @@CURL-ERROR; base64 /tmp/guest-curl-err.' + id,
    `echo @@HEADERS; base64 ${headerFile}`,
    `echo @@BODY; base64 ${outFile}`,
    `rm -f ${headerFile} ${outFile} /tmp/guest-curl-err.${id}${request.body !== undefined ? ` ${bodyFile}` : ''}`,
  ].join('\n');
  const result = await qemu.guestExec(command, { timeoutMs: timeoutMs + 10_000 });
  const exitMatch = /^@@CURL-EXIT (\d+)$/m.exec(result.stdout);
  if (exitMatch === null) {
    throw new Error(
      `guestCurl: unexpected output from the guest (exit ${result.code}): ${result.stdout}${result.stderr}`,
    );
  }
  const fromBase64 = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'base64');
  const rawHeaders = fromBase64(section(result.stdout, '@@HEADERS', '@@BODY')).toString('latin1');
  const body = fromBase64(section(result.stdout, '@@BODY'));
  return {
    ...parseHeaderDump(rawHeaders),
    body,
    text: body.toString('utf8'),
    curlExitCode: Number(exitMatch[1]),
    curlError: fromBase64(section(result.stdout, '@@CURL-ERROR', '@@HEADERS'))
      .toString('utf8')
      .trim(),
  };
}
