import { MAX_REQUESTED_PROPERTIES, readPropfindBody } from '../../../../src/webdav/propfind/propfind-request';
import { rootOf } from '../xml/parse';

describe('readPropfindBody', () => {
  it('reads an empty body and allprop as allprop', () => {
    expect(readPropfindBody(undefined)).toEqual({ kind: 'allprop', include: [] });
    expect(
      readPropfindBody(rootOf('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>')),
    ).toEqual({ kind: 'allprop', include: [] });
  });

  it('reads allprop with include', () => {
    expect(
      readPropfindBody(
        rootOf('<propfind xmlns="DAV:"><allprop/><include><x xmlns="urn:x"/></include></propfind>'),
      ),
    ).toEqual({ kind: 'allprop', include: [{ namespace: 'urn:x', local: 'x' }] });
  });

  it('reads propname', () => {
    expect(readPropfindBody(rootOf('<propfind xmlns="DAV:"><propname/></propfind>'))).toEqual({
      kind: 'propname',
    });
  });

  it('reads a prop list with namespaces, including the empty one, ignoring content and duplicates', () => {
    const body =
      '<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment -->\n<D:propfind xmlns:D="DAV:" xmlns:z="http://example.com/ns/">' +
      '<D:prop>\n  <D:getcontentlength/><z:color/><plain xmlns=""/><D:resourcetype><x/></D:resourcetype>' +
      '<z:color/></D:prop></D:propfind>';
    expect(readPropfindBody(rootOf(body))).toEqual({
      kind: 'prop',
      names: [
        { namespace: 'DAV:', local: 'getcontentlength' },
        { namespace: 'http://example.com/ns/', local: 'color' },
        { namespace: '', local: 'plain' },
        { namespace: 'DAV:', local: 'resourcetype' },
      ],
    });
  });

  it.each([
    '<propfind xmlns="urn:other"><allprop/></propfind>',
    '<propfind xmlns="DAV:"/>',
    '<propfind xmlns="DAV:"><allprop/><propname/></propfind>',
    '<propfind xmlns="DAV:"><prop/><prop/></propfind>',
  ])('refuses %j', (body) => {
    expect(readPropfindBody(rootOf(body)).kind).toBe('invalid');
  });

  it('refuses more names than one answer should repeat for every entry', () => {
    const names = Array.from({ length: MAX_REQUESTED_PROPERTIES + 1 }, (_, i) => `<p${i}/>`).join('');
    expect(readPropfindBody(rootOf(`<propfind xmlns="DAV:"><prop>${names}</prop></propfind>`)).kind).toBe(
      'invalid',
    );
  });
});
