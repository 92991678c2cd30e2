import { checkXmlBody } from '../../../src/webdav/xml-well-formed';

describe('checkXmlBody', () => {
  it.each([
    '',
    '  \r\n',
    '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
    '<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
    '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://z/"><D:set><D:prop><Z:a>x &amp; y</Z:a></D:prop></D:set></D:propertyupdate>',
    '<a><!-- a comment <b> --><![CDATA[<not a tag>]]></a>',
    "<D:lockinfo xmlns:D='DAV:'><D:owner><D:href>http://x/</D:href></D:owner></D:lockinfo>",
  ])('accepts %s', (body) => {
    expect(checkXmlBody(body)).toEqual({ kind: 'ok' });
  });

  it.each([
    '<foo>',
    '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
    '<a></b>',
    '<a/><b/>',
    'text<a/>',
    '<x:a/>',
    '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
    '<a b=unquoted/>',
  ])('rejects %s', (body) => {
    expect(checkXmlBody(body).kind).toBe('invalid');
  });
});
