import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Sends a complete XML answer with its length (every engine answer is framed by Content-Length, except a
 * PROPFIND listing over 1 MiB, which is streamed chunked: propfind/streamed-answer.ts).
 */
export function sendXml(
  res: ServerResponse,
  status: number,
  xml: string,
  extra: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent) return;
  const body = Buffer.from(xml, 'utf8');
  res.statusCode = status;
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/xml; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
