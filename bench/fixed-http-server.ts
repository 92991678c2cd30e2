// A stand-in for the WebDAV engine that runs Node's HTTP server as the engine does (a server that never listens,
// each mux client's connection handed to it) and answers every request with the same fixed body, reading and
// dropping any request body. Between the raw channel (no HTTP at all) and the engine (HTTP, our handler, the file
// system), it tells what Node's HTTP server alone costs per request: bench/turnaround.ts's `ours-http` client.

import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionServer } from '../src/webdav/session/webdav-mux-session';

export function createFixedHttpServer(bodyBytes: number): ConnectionServer {
  const body = Buffer.alloc(bodyBytes, 1);
  const server = http.createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(req.method === 'PUT' ? 201 : 200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': req.method === 'PUT' ? 0 : body.length,
      });
      res.end(req.method === 'PUT' || req.method === 'HEAD' ? undefined : body);
    });
  });
  return {
    serve(connection: Duplex): void {
      server.emit('connection', connection);
    },
  };
}
