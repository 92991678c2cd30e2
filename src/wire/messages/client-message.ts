// A message the client sends, before its data header is added with encodeMessage().

export interface ClientMessage {
  type: number;
  body: Buffer;
}
