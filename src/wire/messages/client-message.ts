// A message the client sends, before its data header is added with encodeMessage().

export interface ClientMessage {
  type: number;
  body: Buffer;
}

/**
 * A message whose body is several pieces (a mux frame header and its payload): the sender gathers them in one
 * write, so a large piece is never copied next to the others.
 */
export interface GatheredClientMessage {
  type: number;
  bodyParts: readonly Buffer[];
}
