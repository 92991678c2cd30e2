import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Sends a complete XML answer with its length (the engine always frames responses by Content-Length). */
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
