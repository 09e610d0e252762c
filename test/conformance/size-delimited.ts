/**
 * The framing of the conformance runner's client protocol: every message on
 * stdin and stdout is prefixed with its length as a 4-byte big-endian
 * unsigned integer (`connectconformance --help`).
 */

const prefixBytes = 4;

/**
 * Splits a byte stream into the messages it frames. Throws if the stream
 * ends in the middle of a message.
 */
export async function* readSizeDelimited(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of stream) {
    pending = concat(pending, chunk);
    for (;;) {
      if (pending.byteLength < prefixBytes) break;
      const size = new DataView(pending.buffer, pending.byteOffset, prefixBytes).getUint32(0);
      if (pending.byteLength < prefixBytes + size) break;
      // A copy, so that a consumer holding the message keeps no reference to
      // the (growing) pending buffer.
      yield pending.slice(prefixBytes, prefixBytes + size);
      pending = pending.subarray(prefixBytes + size);
    }
  }
  if (pending.byteLength > 0) {
    throw new Error(`input ended inside a message: ${pending.byteLength} bytes left over`);
  }
}

/** Frames one message: its length as 4 bytes big-endian, then the message. */
export function writeSizeDelimited(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(prefixBytes + message.byteLength);
  new DataView(framed.buffer).setUint32(0, message.byteLength);
  framed.set(message, prefixBytes);
  return framed;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
