// spice-webdav as the benchmark runs it: the library's shareFolder() in a child process of its own, the same
// thing the CLI runs, without the CLI's argument handling and log lines (so CLI work in progress cannot break or
// skew a benchmark; `run --cli` measures bin/spice-webdav instead). Usage: our-client.js HOST PORT SHARE_DIR

import { shareFolder } from '../src/edge/sharing/share-folder';

const [host, port, dir] = process.argv.slice(2);
if (host === undefined || port === undefined || dir === undefined) {
  console.error('usage: our-client.js HOST PORT SHARE_DIR');
  process.exit(2);
}
// BENCH_CREDITS_PER_CLIENT=N: a variant with another credit window, measured beside the default one.
const credits = Number(process.env['BENCH_CREDITS_PER_CLIENT'] ?? '');
const subscription = shareFolder({
  target: { kind: 'tcp', host, port: Number(port) },
  share: { path: dir },
  ...(credits > 0 ? { limits: { creditsPerClient: credits } } : {}),
}).subscribe({
  next: (event) => {
    if (event.kind === 'channel-ready' || event.kind === 'share-failed') console.log(event.kind);
  },
  error: (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
});
const stop = (): void => {
  subscription.unsubscribe();
  setTimeout(() => process.exit(0), 200).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
