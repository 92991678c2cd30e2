import { readPropertyUpdate } from '../../../../src/webdav/properties/proppatch';
import { rootOf } from '../xml/parse';

const NS = 'http://example.com/neon/litmus/';

describe('readPropertyUpdate', () => {
  it('keeps set and remove blocks in document order', () => {
    const update = readPropertyUpdate(
      rootOf(
        `<propertyupdate xmlns='DAV:'><remove><prop><r xmlns='${NS}'/></prop></remove>` +
          `<set><prop><r xmlns='${NS}'>x</r></prop></set><set><prop><r xmlns='${NS}'>y</r></prop></set></propertyupdate>`,
      ),
    );
    expect(update).toEqual({
      kind: 'ok',
      operations: [
        { kind: 'remove', name: { namespace: NS, local: 'r' } },
        { kind: 'set', property: { namespace: NS, local: 'r', attributes: [], value: [text('x')] } },
        { kind: 'set', property: { namespace: NS, local: 'r', attributes: [], value: [text('y')] } },
      ],
    });
  });

  it('keeps a value with child elements as a tree, and properties without a namespace', () => {
    const update = readPropertyUpdate(
      rootOf(
        `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
          `<t:valnspace xmlns:t="${NS}"><foo xmlns="bar"/></t:valnspace><nonamespace xmlns="">v</nonamespace>` +
          `</D:prop></D:set></D:propertyupdate>`,
      ),
    );
    expect(update.kind === 'ok' && update.operations).toEqual([
      {
        kind: 'set',
        property: {
          namespace: NS,
          local: 'valnspace',
          attributes: [],
          value: [{ kind: 'element', namespace: 'bar', local: 'foo', attributes: [], children: [] }],
        },
      },
      { kind: 'set', property: { namespace: '', local: 'nonamespace', attributes: [], value: [text('v')] } },
    ]);
  });

  it.each([
    ['<propfind xmlns="DAV:"/>', 'not a DAV:propertyupdate'],
    ['<propertyupdate xmlns="DAV:"/>', 'no property'],
  ])('refuses %j', (body, reason) => {
    const update = readPropertyUpdate(rootOf(body));
    expect(update.kind === 'invalid' && update.reason).toContain(reason);
  });
});

function text(value: string) {
  return { kind: 'text', text: value } as const;
}
