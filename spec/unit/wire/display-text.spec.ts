import fc from 'fast-check';

import {
  MAX_DISPLAY_CHARS,
  capText,
  displayText,
  hasUnsafeChar,
  terminalSafe,
  terminalSafeJson,
} from '../../../src/wire/display-text';

/** Characters a terminal acts on: C0, DEL, C1, bidi controls, line separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u; // eslint-disable-line no-control-regex

describe('displayText (issue 17: server text reaches the terminal raw)', () => {
  it('shows a clear-screen sequence as an escape', () => {
    expect(displayText('\x1b[2J\x1b[Hhello')).toBe('\\x1b[2J\\x1b[Hhello');
  });

  it('shows a window-title OSC sequence (ended by BEL or ST) as escapes', () => {
    expect(displayText('\x1b]0;pwned\x07 and \x1b]2;title\x1b\\')).toBe(
      '\\x1b]0;pwned\\x07 and \\x1b]2;title\\x1b\\',
    );
  });

  it('keeps a forged "spice-webdav: sharing /etc" line on the same line', () => {
    const shown = displayText('maintenance at 5\r\nspice-webdav: sharing /etc');
    expect(shown).toBe('maintenance at 5\\r\\nspice-webdav: sharing /etc');
    expect(shown).not.toMatch(/[\r\n]/);
  });

  it('caps a 1 MiB line at 200 characters plus an ellipsis, looking at no more than that', () => {
    const line = 'A'.repeat(1024 * 1024);
    expect(displayText(line)).toBe(`${'A'.repeat(MAX_DISPLAY_CHARS)}…`);
    expect(displayText('\n'.repeat(1024 * 1024))).toBe(`${'\\n'.repeat(MAX_DISPLAY_CHARS / 2)}…`);
  });

  it('escapes DEL, C1 controls (a one-byte CSI) and bidi overrides, and leaves other text alone', () => {
    expect(displayText('a\x7fb\x9b31mc')).toBe('a\\x7fb\\x9b31mc');
    expect(displayText('invoice\u202egnp.exe \u2066x\u2069')).toBe('invoice\\u202egnp.exe \\u2066x\\u2069');
    expect(displayText('Grüße, 日本語, 🙂, C:\\share')).toBe('Grüße, 日本語, 🙂, C:\\share');
  });

  it('never lets an unsafe character through and never exceeds the cap, for any text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.integer({ min: 1, max: 300 }),
        (text, max) => {
          const shown = displayText(text, max);
          expect(shown).not.toMatch(UNSAFE);
          expect(shown.length).toBeLessThanOrEqual(max + 1);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('capText and terminalSafeJson (the JSON log)', () => {
  it('keeps the text, cut to the cap without splitting a surrogate pair', () => {
    expect(capText('short')).toBe('short');
    expect(capText('x'.repeat(1024 * 1024))).toBe(`${'x'.repeat(MAX_DISPLAY_CHARS)}…`);
    expect(capText('ab🙂', 3)).toBe('ab…');
  });

  it('escapes what JSON.stringify leaves raw, and the JSON still means the same', () => {
    const value = { message: '\x1b]0;t\x07\u202e\x9b\x7f\r\nspice-webdav: sharing /etc' };
    const line = terminalSafeJson(JSON.stringify(value));
    expect(line).not.toMatch(UNSAFE);
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe('terminalSafe (the last guard before stderr)', () => {
  it('escapes what a terminal would act on in a whole line, keeps its newlines and tabs, cuts nothing', () => {
    const line = `cannot share /x\x1b]0;PWNED\x07\x1b[2J\rspice-webdav: sharing /etc\u009b31m\u202e\n\tdetail ${'A'.repeat(5000)}`;
    expect(terminalSafe(line)).toBe(
      `cannot share /x\\x1b]0;PWNED\\x07\\x1b[2J\\rspice-webdav: sharing /etc\\x9b31m\\u202e\n\tdetail ${'A'.repeat(5000)}`,
    );
  });

  it('never lets an unsafe character but a newline or tab through, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(terminalSafe(text).replace(/[\n\t]/g, '')).not.toMatch(UNSAFE);
        expect(hasUnsafeChar(text)).toBe(UNSAFE.test(text));
      }),
      { numRuns: 500 },
    );
  });
});
