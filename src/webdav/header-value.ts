/** One header's value as text (Node gives arrays for a few repeated headers), or undefined if absent. */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
