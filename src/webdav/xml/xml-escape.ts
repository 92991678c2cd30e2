/**
 * Characters XML 1.0 cannot carry at all, not even as character references: most C0 controls, lone
 * surrogates, U+FFFE and U+FFFF. File names may contain them; a response must stay well-formed, so they are
 * shown as U+FFFD. (Hrefs never reach this: they are percent-encoded URIs, and encodeURI encodes controls.)
 */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const REPLACEMENT = '\uFFFD';

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#13;',
};

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
};

/** Character data for XML output: markup escaped, CR kept as a reference, what XML cannot carry replaced. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, REPLACEMENT).replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** An attribute value for XML output (quoted with either quote); whitespace kept as references. */
export function escapeXmlAttribute(value: string): string {
  return value.replace(NOT_XML, REPLACEMENT).replace(/[&<>"'\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}
