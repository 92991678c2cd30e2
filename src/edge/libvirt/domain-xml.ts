import { SaxesParser, type SaxesTagPlain } from 'saxes';

import { WEBDAV_PORT_NAME } from '../qemu/qemu-args';

/** One `<listen>` child of `<graphics>`: where the display listens (libvirt's listen types). */
export type GraphicsListen =
  | { readonly type: 'address'; readonly address: string | undefined }
  | { readonly type: 'network'; readonly address: string | undefined }
  | { readonly type: 'socket'; readonly socket: string | undefined }
  | { readonly type: 'none' };

/** The `<graphics type='spice'>` element of a domain, as libvirt reports it for a running domain. */
export interface SpiceGraphics {
  /** -1 or undefined while the domain is not running, or when the display has no plain port. */
  readonly port: number | undefined;
  readonly tlsPort: number | undefined;
  readonly listens: readonly GraphicsListen[];
  /** The `listen` attribute (older XML, and libvirt still writes it beside `<listen>`). */
  readonly listenAttribute: string | undefined;
  /** Only with `dumpxml --security-info`. */
  readonly password: string | undefined;
}

/** What spice-webdav reads from `virsh dumpxml --security-info DOMAIN`. */
export interface DomainDescription {
  readonly name: string;
  readonly uuid: string;
  /** Only present while the domain runs. */
  readonly id: number | undefined;
  readonly spice: SpiceGraphics | undefined;
  /** Whether a `<channel type='spiceport'>` carries org.spice-space.webdav.0 to a virtio port. */
  readonly hasWebdavChannel: boolean;
}

/** What to add to a domain's `<devices>` for folder sharing (printed in errors and in the README). */
export const WEBDAV_CHANNEL_XML = `<channel type='spiceport'>
  <source channel='${WEBDAV_PORT_NAME}'/>
  <target type='virtio' name='${WEBDAV_PORT_NAME}'/>
</channel>`;

/** A domain's XML is a few KiB; anything beyond this is not libvirt talking. */
const MAX_XML_CHARS = 4 * 1024 * 1024;

/**
 * Reads the parts of a libvirt domain XML that say how to reach its SPICE display. Throws an Error with
 * the parser's message when the text is not well-formed XML or not a `<domain>`.
 */
export function parseDomainXml(xml: string): DomainDescription {
  if (xml.length > MAX_XML_CHARS)
    throw new Error(`the domain XML is larger than ${MAX_XML_CHARS} characters`);
  const parser = new SaxesParser();
  const path: string[] = [];
  let name = '';
  let uuid = '';
  let id: number | undefined;
  let rootSeen = false;
  let graphics: { attributes: Record<string, string>; listens: GraphicsListen[] } | undefined;
  let channel: { type: string; source?: string; target?: string } | undefined;
  let hasWebdavChannel = false;
  let text = '';

  parser.on('opentag', (tag: SaxesTagPlain) => {
    const parent = path.join('/');
    path.push(tag.name);
    text = '';
    const a = tag.attributes;
    if (path.length === 1) {
      if (tag.name !== 'domain') throw new Error(`the XML is a <${tag.name}>, not a <domain>`);
      rootSeen = true;
      id = a.id === undefined || !/^\d+$/.test(a.id) ? undefined : Number(a.id);
    } else if (parent === 'domain/devices' && tag.name === 'graphics' && a.type === 'spice') {
      // The first SPICE display is the one QEMU serves (libvirt allows one).
      if (graphics === undefined) graphics = { attributes: { ...a }, listens: [] };
    } else if (parent === 'domain/devices/graphics' && tag.name === 'listen' && graphics !== undefined) {
      graphics.listens.push(listenOf(a));
    } else if (parent === 'domain/devices' && tag.name === 'channel') {
      channel = { type: a.type ?? '' };
    } else if (parent === 'domain/devices/channel' && channel !== undefined) {
      if (tag.name === 'source') channel.source = a.channel;
      if (tag.name === 'target' && a.type === 'virtio') channel.target = a.name;
    }
  });
  parser.on('text', (chunk: string) => {
    text += chunk;
  });
  parser.on('closetag', (tag: SaxesTagPlain) => {
    const where = path.join('/');
    if (where === 'domain/name') name = text.trim();
    if (where === 'domain/uuid') uuid = text.trim();
    if (where === 'domain/devices/channel' && channel !== undefined) {
      if (
        channel.type === 'spiceport' &&
        channel.source === WEBDAV_PORT_NAME &&
        channel.target === WEBDAV_PORT_NAME
      ) {
        hasWebdavChannel = true;
      }
      channel = undefined;
    }
    path.pop();
    void tag;
  });
  parser.write(xml).close();
  if (!rootSeen) throw new Error('the XML has no <domain> element');
  return { name, uuid, id, spice: graphics === undefined ? undefined : spiceOf(graphics), hasWebdavChannel };
}

function listenOf(a: Record<string, string>): GraphicsListen {
  switch (a.type) {
    case 'socket':
      return { type: 'socket', socket: a.socket };
    case 'none':
      return { type: 'none' };
    case 'network':
      return { type: 'network', address: a.address };
    default:
      return { type: 'address', address: a.address };
  }
}

function spiceOf(graphics: { attributes: Record<string, string>; listens: GraphicsListen[] }): SpiceGraphics {
  const a = graphics.attributes;
  return {
    port: portOf(a.port),
    tlsPort: portOf(a.tlsPort),
    listens: graphics.listens,
    listenAttribute: a.listen,
    password: a.passwd,
  };
}

/** libvirt writes port='-1' for "not allocated yet"; anything that is not 1-65535 counts as no port. */
function portOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}
