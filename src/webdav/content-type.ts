/**
 * Content types for the file kinds guests most often open by URL; PROPFIND's getcontenttype may differ. A Map,
 * not an object: the extension is the guest's, and an object would answer `constructor` or `__proto__` with
 * what it inherits (a file named `x.constructor` made every listing of its folder a 500).
 */
const BY_EXTENSION: ReadonlyMap<string, string> = new Map(
  Object.entries({
    txt: 'text/plain; charset=utf-8',
    html: 'text/html; charset=utf-8',
    htm: 'text/html; charset=utf-8',
    css: 'text/css',
    js: 'text/javascript',
    json: 'application/json',
    xml: 'application/xml',
    pdf: 'application/pdf',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    svg: 'image/svg+xml',
    zip: 'application/zip',
    mp4: 'video/mp4',
    mp3: 'audio/mpeg',
  }),
);

export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot === -1 ? '' : name.slice(dot + 1).toLowerCase();
  return BY_EXTENSION.get(extension) ?? 'application/octet-stream';
}
