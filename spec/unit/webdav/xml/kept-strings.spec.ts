import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readXml } from '../../../../src/webdav/xml/xml-reader';

/**
 * What a guest stores (PROPPATCH values, LOCK owners) comes out of readXml's tree, and the stores' budgets
 * count the tree's strings. saxes hands them out as slices of the whole decoded body, which V8 keeps as views
 * holding that body alive: 20 characters of property value kept a 1 MiB body, and a guest's PROPPATCHes ran
 * the process out of heap with the budgets far from spent (session 22). The tree's strings must be its own.
 */
describe('the strings readXml keeps', () => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const heapAfterCollecting = (): number => {
    collect();
    collect();
    return process.memoryUsage().heapUsed;
  };

  it('hold nothing of the body they came from', () => {
    const padding = `<!--${'p'.repeat(1024 * 1024 - 300)}-->`;
    const kept: unknown[] = [];
    const before = heapAfterCollecting();
    for (let i = 0; i < 20; i++) {
      const body =
        `<?xml version="1.0"?>${padding}<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z">` +
        `<D:set><D:prop><Z:a-longer-name-${i} Z:attribute="an-attribute-value-${i}">a-stored-value-${i}` +
        `</Z:a-longer-name-${i}></D:prop></D:set></D:propertyupdate>`;
      const read = readXml(Buffer.from(body, 'utf8'));
      expect(read.kind).toBe('ok');
      if (read.kind === 'ok') kept.push(read.root);
    }
    // 20 bodies of 1 MiB: 20 MiB or more if the slices kept them.
    expect(heapAfterCollecting() - before).toBeLessThan(8 * 1024 * 1024);
    expect(kept).toHaveLength(20);
  });
});
