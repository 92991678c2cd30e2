import { resolve } from 'node:path';
import { checkShareList, type NamedShare } from '../../webdav/multi-share/share-name';
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

/** A line typed at the terminal: `share DIR [read-only]`, `share NAME=DIR[:ro] ...`, `stop`, `status`, `help`. */
export function parseControlText(line: string, cwd: string): ParsedControl {
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
    case 'share':
      return shareFromWords(text.slice(word.length).trim(), rest, cwd);
    default:
      return invalid(`unknown command "${word}"; type help for the list`);
  }
}

function shareFromWords(argument: string, words: readonly string[], cwd: string): ParsedControl {
  if (argument === '') return invalid('share needs a folder: share DIR [read-only]');
  if (words.length > 0 && words.every((w) => /^[^=/]+=/.test(w))) {
    try {
      return sharesRequest(words.map((w) => parseShareOption(w, cwd)));
    } catch (err) {
      return invalid(err instanceof Error ? err.message : String(err));
    }
  }
  const last = words.at(-1) ?? '';
  const readOnly = words.length > 1 && READ_ONLY_WORDS.has(last.toLowerCase());
  // Everything else is the folder, spaces included.
  const dir = readOnly ? argument.slice(0, argument.length - last.length).trim() : argument;
  return request({ kind: 'share', path: resolve(cwd, dir), readOnly });
}

/**
 * One JSON line from the control socket:
 *   {"command":"share","path":"/srv/x","readOnly":true}
 *   {"command":"share","shares":[{"name":"docs","path":"/srv/docs","readOnly":false}]}
 *   {"command":"stop"}   {"command":"status"}
 */
export function parseControlJson(line: string, cwd: string): ParsedControl {
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
      return request({ kind: 'stop' });
    case 'status':
      return request({ kind: 'status' });
    case 'share':
      return shareFromJson(value, cwd);
    default:
      return invalid(`unknown command "${value.command}" (known: share, stop, status)`);
  }
}

function shareFromJson(value: Record<string, unknown>, cwd: string): ParsedControl {
  if (Array.isArray(value.shares)) {
    const shares: NamedShare[] = [];
    for (const item of value.shares as unknown[]) {
      if (!isRecord(item) || typeof item.name !== 'string' || typeof item.path !== 'string') {
        return invalid('each of "shares" needs a "name" and a "path" (and may have "readOnly")');
      }
      shares.push({ name: item.name, root: resolve(cwd, item.path), readOnly: item.readOnly === true });
    }
    return sharesRequest(shares);
  }
  if (typeof value.path !== 'string' || value.path === '') {
    return invalid('share needs "path" (a folder) or "shares" (a list of {name, path, readOnly})');
  }
  return request({ kind: 'share', path: resolve(cwd, value.path), readOnly: value.readOnly === true });
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
