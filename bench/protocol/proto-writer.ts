/**
 * A tiny protobuf encoder, so that the bench server and the raw-http2 floor
 * send real messages without loading protobuf-es (the floor must not pay for
 * a library it is the floor of). Fields are written in the order given; a
 * test checks that protobuf-es decodes them to the messages the other stacks send.
 */

/** A field: its number and a value. A number is a varint, a string or bytes are length-delimited, an array is a nested message. */
export type ProtoField = readonly [field: number, value: number | bigint | string | Uint8Array | readonly ProtoField[]];

/** Encodes fields as a protobuf message. */
export function encodeMessage(fields: readonly ProtoField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [field, value] of fields) {
    if (typeof value === "number" || typeof value === "bigint") {
      parts.push(encodeVarint((field << 3) | 0), encodeVarint(value));
      continue;
    }
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value instanceof Uint8Array ? value : encodeMessage(value);
    parts.push(encodeVarint((field << 3) | 2), encodeVarint(bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  }
  return Buffer.concat(parts);
}

/** Encodes a non-negative integer as a base-128 varint. */
export function encodeVarint(value: number | bigint): Buffer {
  let n = BigInt(value);
  if (n < 0n) throw new Error(`varint must not be negative, got ${n}`);
  const bytes: number[] = [];
  do {
    const low = Number(n & 0x7fn);
    n >>= 7n;
    bytes.push(n > 0n ? low | 0x80 : low);
  } while (n > 0n);
  return Buffer.from(bytes);
}

/** Reads the varint at `offset`; returns its value and the offset after it. */
export function decodeVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < bytes.length && shift < 35; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error(`malformed varint at offset ${offset}`);
}

/** The first length-delimited field of a message (e.g. GetUserRequest.user_id), as a string; "" if the message is empty. */
export function readFirstStringField(message: Uint8Array): string {
  if (message.length === 0) return "";
  const tag = message[0]!;
  if ((tag & 0x07) !== 2) throw new Error(`expected a length-delimited first field, got tag ${tag}`);
  const { value: length, next } = decodeVarint(message, 1);
  return Buffer.from(message.buffer, message.byteOffset + next, length).toString("utf8");
}
