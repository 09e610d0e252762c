/**
 * gRPC length-prefixed messages ("envelopes"): a flags byte, a 4-byte
 * big-endian length, the message. See
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 */

/** Size of the envelope header. */
export const ENVELOPE_HEADER_BYTES = 5;

/** Wraps a message in an uncompressed envelope. */
export function encodeEnvelope(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, ENVELOPE_HEADER_BYTES);
  return frame;
}

/**
 * Returns a function to feed with the DATA chunks of a stream; it calls
 * `onMessage` with each complete message, however the chunks split them.
 */
export function createEnvelopeReader(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    let buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    while (buffer.length >= ENVELOPE_HEADER_BYTES) {
      if (buffer[0] !== 0) throw new Error(`unsupported envelope flags ${buffer[0]} (compressed or end-of-stream)`);
      const end = ENVELOPE_HEADER_BYTES + buffer.readUInt32BE(1);
      if (buffer.length < end) break;
      onMessage(buffer.subarray(ENVELOPE_HEADER_BYTES, end));
      buffer = buffer.subarray(end);
    }
    if (buffer.length > 0) pending = buffer;
  };
}
