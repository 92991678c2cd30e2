import { createGeneratedResponseServer } from '../../../../src/webdav/session/generated-response-server';
import { createDuplexPair } from '../../../../src/webdav/session/duplex-pair';

function exchange(bodyBytes: number, request: string): Promise<Buffer> {
  const [client, server] = createDuplexPair();
  createGeneratedResponseServer(bodyBytes).serve(server);
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    client.on('end', () => resolve(Buffer.concat(chunks)));
    client.write(request);
    client.end();
  });
}

describe('generated response server (the benchmark raw channel)', () => {
  it('answers a GET with the announced number of bytes', async () => {
    const reply = await exchange(200_000, 'GET /x HTTP/1.1\r\nHost: g\r\n\r\n');
    const headEnd = reply.indexOf('\r\n\r\n');
    expect(reply.subarray(0, headEnd).toString()).toContain('Content-Length: 200000');
    expect(reply.length - headEnd - 4).toBe(200_000);
  });

  it('answers HEAD with headers only, and pipelined requests in order', async () => {
    const reply = await exchange(10, 'HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    const text = reply.toString('latin1');
    expect(text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(reply.length).toBe(2 * text.indexOf('\r\n\r\n') + 8 + 10);
  });
});
