import { readXml } from '../../../../src/webdav/xml/xml-reader';
import type { XmlElement } from '../../../../src/webdav/xml/xml-node';

/** The root of a body the reader accepts; throws (failing the spec) on anything else. */
export function rootOf(body: string): XmlElement {
  const read = readXml(Buffer.from(body, 'utf8'));
  if (read.kind !== 'ok') throw new Error(`expected XML, got ${read.kind}: ${read.reason}`);
  return read.root;
}
