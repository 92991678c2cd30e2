import { createWebdavEngine, type WebdavEngine } from '../../../src/webdav';
import { FREE_PARSED_BYTES, holdParsedBody, parsedBodyBytes } from '../../../src/webdav/parsed-body-budget';
import { largeBodyUnits } from '../../../src/webdav/request-body';
import type { GoneSignal } from '../../../src/webdav/request-gone';
import { readXml } from '../../../src/webdav/xml/xml-reader';
import type { XmlElement } from '../../../src/webdav/xml/xml-node';
import { davRequest, type DavResponse } from './support/dav-client';
import { makeSandbox, writeFiles, type Sandbox } from './support/temp-share';
import { until } from './support/until';

/** A PROPFIND body of 40 KB, under the free allowance for body bytes, that parses into 10,000 elements. */
const manyElements = (count: number) =>
  `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>${'<a/>'.repeat(count)}</D:prop></D:propfind>`;

function parsed(text: string): XmlElement {
  const read = readXml(Buffer.from(text));
  if (read.kind !== 'ok') throw new Error(read.kind);
  return read.root;
}

function signal(): GoneSignal & { end(): void } {
  const listeners: (() => void)[] = [];
  let gone = false;
  return {
    get gone() {
      return gone;
    },
    onGone(listener) {
      listeners.push(listener);
      return () => undefined;
    },
    end() {
      gone = true;
      for (const listener of listeners) listener();
    },
  };
}

describe('holdParsedBody', () => {
  it('holds nothing for a file manager-sized body', () => {
    const root = parsed(manyElements(20));
    expect(parsedBodyBytes(root)).toBeLessThan(FREE_PARSED_BYTES);
    expect(holdParsedBody(root, 0, signal())).toBe(true);
    expect(largeBodyUnits.inUse).toBe(0);
  });

  it('charges a large tree until its request is gone, and refuses one the budget cannot take', () => {
    const root = parsed(manyElements(9990));
    const requests = Array.from({ length: 8 }, () => signal());
    const taken = requests.map((request) => holdParsedBody(root, 40_000, request));
    expect(taken.filter((ok) => ok).length).toBeGreaterThan(0);
    expect(taken.filter((ok) => !ok).length).toBeGreaterThan(0);
    expect(largeBodyUnits.inUse).toBeLessThanOrEqual(largeBodyUnits.limit);
    for (const request of requests) request.end();
    expect(largeBodyUnits.inUse).toBe(0);
  });
});

describe('parsed bodies waiting for the namespace lock', () => {
  let sandbox: Sandbox;
  let engine: WebdavEngine;

  beforeEach(async () => {
    sandbox = makeSandbox();
    await writeFiles(sandbox.share, { 'a.txt': 'alpha' });
    engine = await createWebdavEngine({ root: sandbox.share, readOnly: false });
  });

  afterEach(async () => {
    await engine.close();
    sandbox.remove();
  });

  it('hold at most the budget together; the others are told to come back (503)', async () => {
    let release: () => void = () => undefined;
    engine.holdUntil?.(new Promise<void>((resolve) => (release = resolve)));
    const answers: DavResponse[] = [];
    const requests = Array.from({ length: 12 }, () =>
      davRequest(engine, {
        method: 'PROPFIND',
        path: '/a.txt',
        headers: { Depth: '0' },
        body: manyElements(9990),
      }).then((answer) => answers.push(answer)),
    );
    await until(() => answers.length > 0 && largeBodyUnits.inUse + 24 > largeBodyUnits.limit);
    expect(answers.every((answer) => answer.status === 503)).toBe(true);
    expect(answers[0]?.headers['retry-after']).toBe('5');
    release();
    await Promise.all(requests);
    expect(answers.filter((answer) => answer.status !== 503).length).toBeGreaterThan(0);
    expect(largeBodyUnits.inUse).toBe(0);
  });
});
