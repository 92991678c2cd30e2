import { join } from 'node:path';
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { createMultiShareEngine } from '../../../src/webdav/multi-share';
import { makeSandbox, type Sandbox } from './support/temp-share';

/**
 * The litmus WebDAV conformance suite against the engine on 127.0.0.1. The floor is what this engine reaches:
 * all 104 (basic 16/16, copymove 13/13, props 30/30, locks 41/41, http 4/4); Apache passes 104, phodav 103,
 * webdav-server 2.6.3 with the findings' wrapper 71. A lower count is a regression.
 */
const PASSED_AT_LEAST = 104;

interface SuiteSummary {
  readonly suite: string;
  readonly run: number;
  readonly passed: number;
}

function parseLitmusSummaries(output: string): SuiteSummary[] {
  return [...output.matchAll(/<- summary for `(\w+)': of (\d+) tests run: (\d+) passed/g)].map((match) => ({
    suite: match[1] ?? '',
    run: Number(match[2]),
    passed: Number(match[3]),
  }));
}

/** Where litmus runs: the engine of one folder at `/`, or one mount (`/docs/`) of a multi-folder engine. */
const PLACES = [
  {
    place: 'a single share at /',
    path: '/',
    create: (root: string) => createWebdavEngine({ root, readOnly: false }),
  },
  {
    place: 'the mount /docs/ of a multi-folder share',
    path: '/docs/',
    create: (root: string) =>
      createMultiShareEngine([
        { name: 'docs', path: root, readOnly: false },
        // A second folder beside it (shares may not overlap): the sandbox's outside folder, read-only.
        { name: 'other', path: join(root, '..', 'outside'), readOnly: true },
      ]),
  },
] as const;

describe.each(PLACES)('litmus against $place', ({ path, create }) => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;
  let server: net.Server;
  let port = 0;

  beforeAll(async () => {
    sandbox = makeSandbox();
    engine = await create(sandbox.share);
    server = net.createServer((socket) => engine.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await engine.close();
    await new Promise((resolve) => server.close(resolve));
    sandbox.remove();
  });

  it(`passes at least ${PASSED_AT_LEAST} of litmus's tests, without hanging`, async () => {
    const output = await new Promise<string>((resolve) => {
      execFile(
        '/usr/bin/litmus',
        ['-k', `http://127.0.0.1:${port}${path}`],
        { timeout: 170_000, env: { ...process.env, HOME: sandbox.base } },
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    const summaries = parseLitmusSummaries(output);
    const passed = summaries.reduce((sum, summary) => sum + summary.passed, 0);
    expect(summaries.map((summary) => summary.suite)).toEqual([
      'basic',
      'copymove',
      'props',
      'locks',
      'http',
    ]);
    expect(passed).toBeGreaterThanOrEqual(PASSED_AT_LEAST);
  }, 180_000);
});
