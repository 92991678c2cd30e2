/**
 * Runs the requests of one connection one at a time, in arrival order. Node's http server parses pipelined
 * requests eagerly and emits them all at once (only the responses are queued), so without this a pipelined
 * PUT followed by GET of the same file can answer the GET before the PUT has written anything.
 */
export class ConnectionSerializer {
  private tail: Promise<void> = Promise.resolve();

  /** Queue a task; it starts once every earlier task has settled, whether it succeeded or failed. */
  run(task: () => Promise<void>): Promise<void> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
