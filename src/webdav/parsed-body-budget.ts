import { FREE_BODY_BYTES, largeBodyUnits, UNIT_BYTES } from './request-body';
import type { GoneSignal } from './request-gone';
import { fragmentCost } from './xml/xml-fragment';
import type { XmlElement } from './xml/xml-node';

/**
 * What one element, attribute or text of a parsed body takes on the heap besides its strings: its object and
 * its arrays. Measured: 10,000 empty elements held 1.5 MiB.
 */
export const PARSED_NODE_BYTES = 160;

/**
 * What a parsed body may hold without asking `largeBodyUnits`, as its bytes may (a file manager's PROPFIND
 * takes a few KiB).
 */
export const FREE_PARSED_BYTES = FREE_BODY_BYTES;

/**
 * The heap a parsed body takes, estimated as what keeping it is charged (fragmentCost), with
 * PARSED_NODE_BYTES per node: the parser's objects and arrays, not the compact form a stored property keeps.
 */
export function parsedBodyBytes(root: XmlElement): number {
  return fragmentCost([root], new Set(), PARSED_NODE_BYTES);
}

/**
 * Charges a parsed body to the budget of bodies held whole (`largeBodyUnits`) until its request is gone, beyond
 * what its `bodyBytes` already hold there (readSmallBody charged them until then too); false, taking nothing
 * more, when the budget cannot take it. Only the body's bytes were charged before, and a body of
 * 40 KB, under their free allowance, parses into 10,000 elements, 1.5 MiB of heap: 250 PROPPATCHes or
 * PROPFINDs waiting behind a long COPY or for a listing turn held 380 MiB, and the process peaked at 1.5 GB as
 * they ran (an attacker's finding, session 28). Now what they hold together stays within that budget plus
 * FREE_PARSED_BYTES each.
 */
export function holdParsedBody(root: XmlElement, bodyBytes: number, until: GoneSignal): boolean {
  const needed =
    unitsBeyond(parsedBodyBytes(root), FREE_PARSED_BYTES) - unitsBeyond(bodyBytes, FREE_BODY_BYTES);
  const held: (() => void)[] = [];
  const releaseAll = () => {
    for (const release of held.splice(0)) release();
  };
  while (held.length < needed) {
    const release = largeBodyUnits.take();
    if (release === undefined) {
      releaseAll();
      return false;
    }
    held.push(release);
  }
  if (held.length === 0) return true;
  if (until.gone) releaseAll();
  else until.onGone(releaseAll);
  return true;
}

function unitsBeyond(bytes: number, free: number): number {
  return Math.ceil(Math.max(0, bytes - free) / UNIT_BYTES);
}
