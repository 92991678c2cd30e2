/**
 * The error a connection is destroyed with when it is cut on purpose (an engine closed, a retired share's
 * grace over): what it had queued for the guest is dropped with it. A plain `destroy()` (a timeout, Node's
 * own close after a 400) lets what is queued still go out, as a socket's last writes do.
 */
export class ConnectionCut extends Error {
  constructor() {
    super('the connection was cut: its share was closed');
    this.name = 'ConnectionCut';
  }
}
