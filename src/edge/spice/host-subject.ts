/**
 * The SPICE "host subject" check: compare a certificate subject with a string like
 * "C=XX,L=city,O=org,CN=host" (the form QEMU/libvirt/virt-viewer use). Pure functions, no sockets.
 */

export type SubjectEntry = { key: string; value: string };

/**
 * Parse "K=V,K=V". A backslash escapes the next character, so "\," is a comma inside a value.
 * Blanks around keys and values are ignored so "C=XX, O=org" works too.
 * Throws a TypeError with a readable message when the string is malformed.
 */
export function parseHostSubject(subject: string): SubjectEntry[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < subject.length; i++) {
    const char = subject[i];
    if (char === '\\' && i + 1 < subject.length) {
      current += subject[++i];
    } else if (char === ',') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => {
    const equals = part.indexOf('=');
    const key = part.slice(0, equals).trim();
    if (equals < 0 || key === '') {
      throw new TypeError(
        `The host subject "${subject}" is malformed near "${part}": write it as KEY=VALUE pairs separated by commas, e.g. "C=XX,O=org,CN=host".`,
      );
    }
    return { key, value: part.slice(equals + 1).trim() };
  });
}

/** Flatten Node's certificate subject object (values may be arrays for repeated attributes). */
export function certificateSubjectEntries(
  subject: Record<string, string | string[] | undefined>,
): SubjectEntry[] {
  return Object.entries(subject).flatMap(([key, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => ({ key, value: v })),
  );
}

export function formatSubject(entries: SubjectEntry[]): string {
  return entries.map((e) => `${e.key}=${e.value.replace(/[\\,]/g, (c) => `\\${c}`)}`).join(',');
}

/** Same attributes with the same values, as multisets (order does not matter, count does). */
export function subjectsMatch(expected: SubjectEntry[], actual: SubjectEntry[]): boolean {
  if (expected.length !== actual.length) return false;
  const canonical = (entries: SubjectEntry[]) =>
    entries.map((e) => `${e.key.toUpperCase()}=${e.value}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const [left, right] = [canonical(expected), canonical(actual)];
  return left.every((entry, index) => entry === right[index]);
}
