/**
 * gRPC's Length-Prefixed-Message framing (PROTOCOL-HTTP2.md, "Requests":
 * Compressed-Flag, 4-byte big-endian Message-Length, Message).
 *
 * DATA frame boundaries have no relation to message boundaries
 * (PROTOCOL-HTTP2.md, "Data Frames"), so the reader accepts any split,
 * including one inside the 5-byte prefix. The common case, a chunk holding
 * exactly whole messages, hands out views of the chunk without copying.
 */
import { PREFIX_BYTES } from "../../protocol/envelope-reader.js";

// The reader is runtime-neutral, shared with gRPC-Web over fetch.
export { createEnvelopeReader, type EnvelopeReader } from "../../protocol/envelope-reader.js";

/**
 * Frames one message: one `Buffer.allocUnsafe(5 + n)` holding `flags`, the
 * length as uint32 big-endian, and `data`. `flags` is the Compressed-Flag
 * (0 or 1, PROTOCOL-HTTP2.md "Compressed-Flag").
 */
export function encodeEnvelope(flags: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + data.length);
  frame[0] = flags;
  frame.writeUInt32BE(data.length, 1);
  frame.set(data, PREFIX_BYTES);
  return frame;
}
