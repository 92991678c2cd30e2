import { resolve } from 'node:path';
import { checkShareList, type NamedShare } from '../../webdav/multi-share/share-name';
import { expandHome } from '../cli/expand-home';
import { parseShareOption } from '../cli/parse-share-option';

/** What an operator can ask while sharing runs (from the terminal or the --control socket). */
export type ControlRequest =
  | { readonly kind: 'share'; readonly path: string; readonly readOnly: boolean }
  | { readonly kind: 'share-folders'; readonly shares: readonly NamedShare[] }
  | { readonly kind: 'stop' }
  | { readonly kind: 'status' }
  | { readonly kind: 'help' };

export type ParsedControl =
  | { readonly kind: 'request'; readonly request: ControlRequest }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'empty' };

export const CONTROL_HELP = `Commands:
  share DIR [read-only]         share DIR (replaces what is shared; open guest connections are closed)
  share NAME=DIR[:ro] ...       share several folders as /NAME/
  stop                          stop sharing (the guest gets 503 until the next share)
  status                        channel, guest, what is shared, each connection's bytes and rate`;

const READ_ONLY_WORDS = new Set(['read-only', 'readonly', 'ro', '--read-only']);

/**
 * A line typed at the terminal: `share DIR [read-only]`, `share NAME=DIR[:ro] ...`, `stop`, `status`, `help`.
 * No shell reads the line, so `~` is expanded here (`home`).
 */
export function parseControlText(line: string, cwd: string, home?: string): ParsedControl {
  const text = line.trim();
  if (text === '') return { kind: 'empty' };
  const [word, ...rest] = text.split(/\s+/);
  switch (word.toLowerCase()) {
    case 'stop':
      return request({ kind: 'stop' });
    case 'status':
      return request({ kind: 'status' });
    case 'help':
    case '?':
      return request({ kind: 'help' });
    case 'share': {
      const argument = text.slice(word.length).trim();
      if (!/["']/.test(argument)) return shareFromWords(argument, rest, cwd, home);
      // Quoted as a shell would take it: `share "/srv/with space" ro`, `share 'docs=/srv/my docs'`.
      const quoted = shellWords(argument);
      if (quoted === undefined)
        return invalid('a quote is not closed; write share "DIR WITH SPACES" [read-only]');
      return shareFromWords(quoted.join(' '), quoted, cwd, home, true);
    }
    case 'quit':
    case 'exit':
      return invalid('to quit, press Ctrl-C (stop only stops sharing)');
    default:
      return invalid(`unknown command "${word}"; type help for the list`);
  }
}

function shareFromWords(
  argument: string,
  words: readonly string[],
  cwd: string,
  home: string | undefined,
  quoted = false,
): ParsedControl {
  if (argument === '') return invalid('share needs a folder: share DIR [read-only]');
  if (words.length > 0 && words.every((w) => /^[^=/]+=/.test(w))) {
    try {
      return sharesRequest(words.map((w) => parseShareOption(w, cwd, home)));
    } catch (err) {
      return invalid(err instanceof Error ? err.message : String(err));
    }
  }
  const last = words.at(-1) ?? '';
  const readOnly = words.length > 1 && READ_ONLY_WORDS.has(last.toLowerCase());
  if (quoted) {
    // Quoted words are whole: one folder, then at most the read-only word.
    if (words.length > (readOnly ? 2 : 1))
      return invalid('share takes one folder: quote it whole, share "DIR WITH SPACES" [read-only]');
    return request({ kind: 'share', path: resolve(cwd, expandHome(words[0] ?? '', home)), readOnly });
  }
  // Everything else is the folder, spaces included.
  const dir = readOnly ? argument.slice(0, argument.length - last.length).trim() : argument;
  return request({ kind: 'share', path: resolve(cwd, expandHome(dir, home)), readOnly });
}

/**
 * Words as a POSIX shell splits them: whitespace separates, '...' keeps everything, "..." keeps all but `\"`
 * and `\\`, a backslash outside quotes keeps the next character. Undefined when a quote is not closed.
 */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      let inner = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j += 1) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j += 1;
        inner += text[j];
      }
      if (j >= text.length) return undefined;
      word = (word ?? '') + inner;
      i = j;
    } else if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[i + 1];
      i += 1;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * One JSON line from the control socket, checked strictly (a typo must not silently share a folder writable):
 *   {"command":"share","path":"/srv/x","readOnly":true}
 *   {"command":"share","shares":[{"name":"docs","path":"/srv/docs","readOnly":false}]}
 *   {"command":"stop"}   {"command":"status"}
 * `~` in a path is the user's home (`home`), as no shell expanded it.
 */
export function parseControlJson(line: string, cwd: string, home?: string): ParsedControl {
  if (line.trim() === '') return { kind: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return invalid('not JSON: send one JSON object per line, e.g. {"command":"status"}');
  }
  if (!isRecord(value) || typeof value.command !== 'string') {
    return invalid('expected an object with a "command" field (share, stop or status)');
  }
  switch (value.command) {
    case 'stop':
    case 'status': {
      const unknown = unknownKeys(value, ['command']);
      if (unknown !== undefined) return invalid(`${value.command} takes no other field: ${unknown}`);
      return request({ kind: value.command });
    }
    case 'share':
      return shareFromJson(value, cwd, home);
    default:
      return invalid(`unknown command "${value.command}" (known: share, stop, status)`);
  }
}

function shareFromJson(value: Record<string, unknown>, cwd: string, home: string | undefined): ParsedControl {
  const folder = (path: string): string => resolve(cwd, expandHome(path, home));
  if ('shares' in value) {
    const unknown = unknownKeys(value, ['command', 'shares']);
    if (unknown !== undefined) return invalid(`share with "shares" takes no other field: ${unknown}`);
    if (!Array.isArray(value.shares) || value.shares.length === 0) {
      return invalid('"shares" must be a non-empty list of {"name", "path", "readOnly"}');
    }
    const shares: NamedShare[] = [];
    for (const item of value.shares as unknown[]) {
      if (!isRecord(item) || typeof item.name !== 'string' || !isFolderPath(item.path)) {
        return invalid('each of "shares" needs a "name" and a "path" (and may have "readOnly")');
      }
      const itemUnknown = unknownKeys(item, ['name', 'path', 'readOnly']);
      if (itemUnknown !== undefined) {
        return invalid(`unknown field in "shares": ${itemUnknown} (known: name, path, readOnly)`);
      }
      const readOnly = readOnlyField(item.readOnly);
      if (readOnly === undefined) return invalid(READ_ONLY_TYPE);
      shares.push({ name: item.name, path: folder(item.path), readOnly });
    }
    return sharesRequest(shares);
  }
  const unknown = unknownKeys(value, ['command', 'path', 'readOnly']);
  if (unknown !== undefined)
    return invalid(`unknown field in share: ${unknown} (known: path, readOnly, shares)`);
  if (!isFolderPath(value.path)) {
    return invalid('share needs "path" (a folder) or "shares" (a list of {name, path, readOnly})');
  }
  const readOnly = readOnlyField(value.readOnly);
  if (readOnly === undefined) return invalid(READ_ONLY_TYPE);
  return request({ kind: 'share', path: folder(value.path), readOnly });
}

const READ_ONLY_TYPE = '"readOnly" must be true or false (JSON booleans, not strings or numbers)';

/** Absent means writable; anything but a JSON boolean is refused (undefined). */
function readOnlyField(value: unknown): boolean | undefined {
  if (value === undefined) return false;
  return typeof value === 'boolean' ? value : undefined;
}

function isFolderPath(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The keys of `value` not in `known`, quoted and listed, or undefined when there are none. */
function unknownKeys(value: Record<string, unknown>, known: readonly string[]): string | undefined {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  return unknown.length === 0 ? undefined : unknown.map((key) => JSON.stringify(key)).join(', ');
}

function sharesRequest(shares: readonly NamedShare[]): ParsedControl {
  const problem = checkShareList(shares);
  return problem === undefined ? request({ kind: 'share-folders', shares }) : invalid(problem);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function request(r: ControlRequest): ParsedControl {
  return { kind: 'request', request: r };
}

function invalid(message: string): ParsedControl {
  return { kind: 'invalid', message };
}
