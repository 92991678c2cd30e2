import { parsePropfindBody } from '../../../../src/webdav/propfind/propfind-request';

describe('parsePropfindBody', () => {
  it('reads an empty body and allprop as allprop', () => {
    expect(parsePropfindBody('')).toEqual({ kind: 'allprop' });
    expect(
      parsePropfindBody('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'),
    ).toEqual({
      kind: 'allprop',
    });
  });

  it('reads propname', () => {
    expect(parsePropfindBody('<propfind xmlns="DAV:"><propname/></propfind>')).toEqual({ kind: 'propname' });
  });

  it('reads a prop list with namespaces, including the empty one', () => {
    const body =
      '<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment -->\n<D:propfind xmlns:D="DAV:" xmlns:z="http://example.com/ns/">' +
      '<D:prop>\n  <D:getcontentlength/><z:color/><plain xmlns=""/><D:resourcetype></D:resourcetype></D:prop></D:propfind>';
    expect(parsePropfindBody(body)).toEqual({
      kind: 'prop',
      names: [
        { namespace: 'DAV:', local: 'getcontentlength' },
        { namespace: 'http://example.com/ns/', local: 'color' },
        { namespace: '', local: 'plain' },
        { namespace: 'DAV:', local: 'resourcetype' },
      ],
    });
  });

  it('declines what it does not answer itself', () => {
    expect(
      parsePropfindBody('<propfind xmlns="DAV:"><allprop/><include><x/></include></propfind>'),
    ).toBeUndefined();
    expect(parsePropfindBody('<propfind xmlns="urn:other"><allprop/></propfind>')).toBeUndefined();
    expect(parsePropfindBody('<D:propfind xmlns:D="DAV:"><Q:prop/></D:propfind>')).toBeUndefined();
    expect(parsePropfindBody('<propfind xmlns="DAV:"><prop><a><b/></a></prop></propfind>')).toBeUndefined();
    expect(parsePropfindBody('<propfind xmlns="DAV:"><![CDATA[x]]></propfind>')).toBeUndefined();
  });
});
