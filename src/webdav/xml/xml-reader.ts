import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import type { XmlAttribute, XmlElement, XmlNode } from './xml-node';

/**
 * What one request body may cost the reader. Every limit is checked while saxes reads, in the event that
 * first crosses it, so a hostile body stops there. Together they bound the work (see `work` in XmlRead).
 */
export interface XmlLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributesPerElement: number;
  readonly maxAttributes: number;
  /** Namespace declarations (xmlns, xmlns:p) on one element, and in the whole document. */
  readonly maxNamespaceDeclarationsPerElement: number;
  readonly maxNamespaceDeclarations: number;
  /** Bytes of one namespace URI. */
  readonly maxNamespaceBytes: number;
  /** Bytes of one attribute value. */
  readonly maxAttributeValueBytes: number;
  /** Bytes of one run of text (text, character references and CDATA between two tags). */
  readonly maxTextBytes: number;
  /** Parser events of any kind: elements, attributes, text runs, comments, processing instructions. */
  readonly maxEvents: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxElements: 10_000,
  maxAttributesPerElement: 32,
  maxAttributes: 10_000,
  maxNamespaceDeclarationsPerElement: 16,
  maxNamespaceDeclarations: 64,
  maxNamespaceBytes: 1024,
  maxAttributeValueBytes: 8 * 1024,
  maxTextBytes: 256 * 1024,
  maxEvents: 50_000,
};

export type XmlRead =
  | {
      readonly kind: 'ok';
      readonly root: XmlElement;
      /**
       * An upper bound on the steps the read took: one per event, plus, per name saxes resolves (every
       * element's, every prefixed attribute's), the depth it may walk up the open elements to find the
       * prefix. At most maxEvents * (maxDepth + 2), whatever the body: linear in the body's size.
       */
      readonly work: number;
    }
  /** Not XML, not namespace-well-formed, or a DOCTYPE: 400. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly work: number }
  /** Well-formed as far as read, but over a limit: 413 for bytes, 400 for structure. */
  | {
      readonly kind: 'over-limit';
      readonly status: 400 | 413;
      readonly reason: string;
      readonly work: number;
    };

class Refusal extends Error {
  constructor(
    readonly outcome: 'invalid' | 'over-limit',
    reason: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(reason);
  }
}

interface OpenElement {
  readonly namespace: string;
  readonly local: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: XmlNode[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a guest's XML request body, once, with saxes (streaming, namespace-aware, no external entities, no
 * DTD processing), under `limits`, into an immutable tree. A DOCTYPE is refused: a WebDAV body never needs
 * one, and refusing it rules out entity expansion of any kind. Pure; never throws.
 */
export function readXml(body: Buffer, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlRead {
  let work = 0;
  if (body.length > limits.maxBytes)
    return overLimit(413, `the XML body is larger than ${limits.maxBytes} bytes`, work);
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    // XML may declare another encoding (UTF-16, Latin-1); WebDAV clients send UTF-8, and so must the others.
    return { kind: 'invalid', reason: 'the body is not UTF-8 (the only encoding read here)', work };
  }

  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: OpenElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let attributes = 0;
  let attributesHere = 0;
  let declarations = 0;
  let declarationsHere = 0;
  let events = 0;

  const step = (cost: number): void => {
    work += cost;
    if (++events > limits.maxEvents)
      throw new Refusal('over-limit', `the XML body has more than ${limits.maxEvents} parts`);
  };
  // The run of text (text, references, CDATA) since the last tag, kept in parts and joined once when the next
  // tag comes: merging into one string on every event would re-measure it each time (quadratic).
  let run: string[] = [];
  let runBytes = 0;
  const addText = (content: string): void => {
    step(1);
    if (stack.length === 0) return; // whitespace around the root (saxes refuses anything else there)
    runBytes += Buffer.byteLength(content, 'utf8');
    if (runBytes > limits.maxTextBytes)
      throw new Refusal('over-limit', `a text in the XML body is longer than ${limits.maxTextBytes} bytes`);
    run.push(content);
  };
  const endRun = (): void => {
    const open = stack.at(-1);
    if (open !== undefined && run.length > 0)
      open.children.push({ kind: 'text', text: detached(run.join('')) });
    run = [];
    runBytes = 0;
  };

  parser.on('error', (error) => {
    throw new Refusal('invalid', error.message.replace(/\.$/, ''));
  });
  parser.on('doctype', () => {
    throw new Refusal('invalid', 'a DOCTYPE is not accepted');
  });
  parser.on('processinginstruction', () => step(1));
  parser.on('comment', () => step(1));
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('opentagstart', () => {
    endRun();
    step(1 + stack.length);
    if (++elements > limits.maxElements)
      throw new Refusal('over-limit', `the XML body has more than ${limits.maxElements} elements`);
    if (stack.length + 1 > limits.maxDepth)
      throw new Refusal('over-limit', `the XML body nests elements deeper than ${limits.maxDepth} levels`);
    attributesHere = 0;
    declarationsHere = 0;
  });
  parser.on('attribute', (attribute) => {
    step(attribute.prefix === '' ? 1 : 1 + stack.length);
    if (Buffer.byteLength(attribute.value, 'utf8') > limits.maxAttributeValueBytes)
      throw new Refusal(
        'over-limit',
        `an attribute value in the XML body is longer than ${limits.maxAttributeValueBytes} bytes`,
      );
    if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') {
      if (++declarationsHere > limits.maxNamespaceDeclarationsPerElement)
        throw new Refusal(
          'over-limit',
          `an element declares more than ${limits.maxNamespaceDeclarationsPerElement} namespaces`,
        );
      if (++declarations > limits.maxNamespaceDeclarations)
        throw new Refusal(
          'over-limit',
          `the XML body declares more than ${limits.maxNamespaceDeclarations} namespaces`,
        );
      if (Buffer.byteLength(attribute.value, 'utf8') > limits.maxNamespaceBytes)
        throw new Refusal('over-limit', `a namespace URI is longer than ${limits.maxNamespaceBytes} bytes`);
      return;
    }
    if (++attributesHere > limits.maxAttributesPerElement)
      throw new Refusal(
        'over-limit',
        `an element has more than ${limits.maxAttributesPerElement} attributes`,
      );
    if (++attributes > limits.maxAttributes)
      throw new Refusal('over-limit', `the XML body has more than ${limits.maxAttributes} attributes`);
  });
  parser.on('opentag', (tag) => {
    stack.push({
      namespace: detached(tag.uri),
      local: detached(tag.local),
      attributes: attributesOf(tag),
      children: [],
    });
  });
  parser.on('closetag', () => {
    endRun();
    const open = stack.pop();
    if (open === undefined) return; // saxes reports the stray close tag itself
    const element: XmlElement = { kind: 'element', ...open };
    const parent = stack.at(-1);
    if (parent === undefined) root = element;
    else parent.children.push(element);
  });

  try {
    parser.write(text).close();
  } catch (error) {
    if (!(error instanceof Refusal)) return { kind: 'invalid', reason: 'the XML body is malformed', work };
    return error.outcome === 'invalid'
      ? { kind: 'invalid', reason: error.message, work }
      : overLimit(error.status, error.message, work);
  }
  if (root === undefined) return { kind: 'invalid', reason: 'the XML body has no root element', work };
  return { kind: 'ok', root, work };
}

/** The tag's attributes without its namespace declarations. */
function attributesOf(tag: SaxesTagNS): XmlAttribute[] {
  const list: XmlAttribute[] = [];
  for (const attribute of Object.values(tag.attributes) as SaxesAttributeNS[]) {
    if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
    list.push({
      namespace: detached(attribute.uri),
      local: detached(attribute.local),
      value: detached(attribute.value),
    });
  }
  return list;
}

/**
 * The string as a copy of its own. saxes hands out names, values and text as slices of the whole decoded
 * body, and V8 keeps a slice of 13 characters or more as a view that holds its parent alive: a stored
 * 20-character property value kept its 1 MiB PROPPATCH body, so the property budgets counted a thousandth
 * of what was held, and a guest's PROPPATCHes or LOCK owners ran the process out of heap (session 22). Every
 * string the tree keeps goes through here; shorter ones are copies already.
 */
function detached(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

function overLimit(status: 400 | 413, reason: string, work: number): XmlRead {
  return { kind: 'over-limit', status, reason, work };
}
