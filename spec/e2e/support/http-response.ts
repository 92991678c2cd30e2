/** An HTTP response as the e2e helpers return it (from curl in the guest or from the host side). */
export interface HttpResponse {
  /** 0 when no response arrived (see curlExitCode / the error). */
  status: number;
  /** Lower-case names; repeated headers joined with ", ". From the final response (after any 100 Continue). */
  headers: Record<string, string>;
  body: Buffer;
  /** The body as UTF-8 text. */
  text: string;
}

/** Parses a raw header dump (curl -D): keeps the last response block, which follows any 1xx blocks. */
export function parseHeaderDump(raw: string): { status: number; headers: Record<string, string> } {
  const blocks = raw
    .split(/\r?\n\r?\n/)
    .map((block) => block.trim())
    .filter((block) => block.startsWith('HTTP/'));
  const last = blocks[blocks.length - 1];
  if (last === undefined) return { status: 0, headers: {} };
  const [statusLine = '', ...lines] = last.split(/\r?\n/);
  const status = Number(/^HTTP\/\S+\s+(\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status, headers };
}
