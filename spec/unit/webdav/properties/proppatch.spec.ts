import { readPropertyUpdate } from '../../../../src/webdav/properties/proppatch';

const NS = 'http://example.com/neon/litmus/';

describe('readPropertyUpdate', () => {
  it('keeps set and remove blocks in document order', () => {
    const update = readPropertyUpdate(
      `<propertyupdate xmlns='DAV:'><remove><prop><r xmlns='${NS}'/></prop></remove>` +
        `<set><prop><r xmlns='${NS}'>x</r></prop></set><set><prop><r xmlns='${NS}'>y</r></prop></set></propertyupdate>`,
    );
    expect(update).toEqual({
      kind: 'ok',
      operations: [
        { kind: 'remove', name: { namespace: NS, local: 'r' } },
        { kind: 'set', property: { namespace: NS, local: 'r', attributesXml: '', valueXml: 'x' } },
        { kind: 'set', property: { namespace: NS, local: 'r', attributesXml: '', valueXml: 'y' } },
      ],
    });
  });

  it('keeps a value with child elements self-contained, and properties without a namespace', () => {
    const update = readPropertyUpdate(
      `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
        `<t:valnspace xmlns:t="${NS}"><foo xmlns="bar"/></t:valnspace><nonamespace xmlns="">v</nonamespace>` +
        `</D:prop></D:set></D:propertyupdate>`,
    );
    expect(update.kind === 'ok' && update.operations).toEqual([
      {
        kind: 'set',
        property: { namespace: NS, local: 'valnspace', attributesXml: '', valueXml: '<foo xmlns="bar"/>' },
      },
      { kind: 'set', property: { namespace: '', local: 'nonamespace', attributesXml: '', valueXml: 'v' } },
    ]);
  });

  it.each([
    ['<propfind xmlns="DAV:"/>', 'not a DAV:propertyupdate'],
    ['<propertyupdate xmlns="DAV:"/>', 'no property'],
    ['<propertyupdate xmlns="DAV:"><set><prop><x:a/></prop></set></propertyupdate>', 'undeclared'],
  ])('refuses %j', (body, reason) => {
    const update = readPropertyUpdate(body);
    expect(update.kind === 'invalid' && update.reason).toContain(reason);
  });
});
