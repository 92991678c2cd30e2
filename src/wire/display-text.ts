// Text from a peer (the SPICE server's NOTIFY and MIGRATE_SWITCH_HOST strings, certificate names, the guest's
// request paths) made safe to print. It lives in the lowest layer so every layer that logs or quotes such
// text uses the same rule; the decoders themselves keep the bytes as sent.

/** Longest peer text we print, in characters of the escaped form; the rest becomes an ellipsis. */
export const MAX_DISPLAY_CHARS = 200;

/**
 * What a terminal would act on instead of showing: C0 controls (ESC starts clear-screen and window-title
 * sequences, CR/LF forge new log lines), DEL, C1 controls (U+009B is a one-byte CSI), and the bidirectional
 * marks, embeddings, overrides and isolates that reorder what is shown, plus the Unicode line separators.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;
const UNSAFE_CHARS = new RegExp(UNSAFE_CHAR.source, 'gu');
// As UNSAFE_CHAR, less \t (U+0009) and \n (U+000A).
const UNSAFE_CHAR_BUT_LINES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;
const UNSAFE_CHARS_BUT_LINES = new RegExp(UNSAFE_CHAR_BUT_LINES.source, 'gu');

const NAMED_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
]);

function escapeChar(char: string): string {
  const named = NAMED_ESCAPES.get(char);
  if (named !== undefined) return named;
  const code = char.codePointAt(0) ?? 0;
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Peer text for a terminal or a human-readable log line: every unsafe character shown as an escape (`\x1b`,
 * `\r`, `\n`, `\u202e`) and the result cut to `maxChars` characters plus "…". The work is bounded by
 * `maxChars`, not by the length of the text (a server may send a 1 MiB line).
 */
export function displayText(text: string, maxChars: number = MAX_DISPLAY_CHARS): string {
  let shown = '';
  for (const char of text) {
    const piece = UNSAFE_CHAR.test(char) ? escapeChar(char) : char;
    if (shown.length + piece.length > maxChars) return `${shown}…`;
    shown += piece;
  }
  return shown;
}

/**
 * A whole line (or block of lines) we are about to write to a terminal, with every unsafe character but the
 * newline and tab escaped as `displayText` does, and nothing cut: the last guard for text that reached a
 * message without `displayText` (a path from the control socket, a host name from a .vv file). A newline in
 * such a value could still forge a line, so each value is escaped where it is quoted as well.
 */
export function terminalSafe(text: string): string {
  return UNSAFE_CHAR_BUT_LINES.test(text) ? text.replace(UNSAFE_CHARS_BUT_LINES, escapeChar) : text;
}

/** Whether a name holds a character a terminal would act on or reorder (see UNSAFE_CHAR). */
export function hasUnsafeChar(text: string): boolean {
  return UNSAFE_CHAR.test(text);
}

/**
 * Peer text for a structured record (a JSON log line): the characters kept as they are, only cut to
 * `maxChars` (without splitting a surrogate pair) plus "…". Pair it with `terminalSafeJson`.
 */
export function capText(text: string, maxChars: number = MAX_DISPLAY_CHARS): string {
  if (text.length <= maxChars) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return `${text.slice(0, end)}…`;
}

/**
 * JSON text with every unsafe character as a `\uXXXX` escape. JSON.stringify already escapes C0 controls but
 * leaves DEL, C1 controls and bidirectional overrides raw; escaped, the JSON means the same and is safe to
 * show in a terminal.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(
    UNSAFE_CHARS,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
