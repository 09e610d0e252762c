import { PREFIX_BYTES } from "./envelope-reader.js";

/**
 * Frames one message as a Length-Prefixed-Message (PROTOCOL-HTTP2.md,
 * "Requests"): `flags` (the Compressed-Flag, 0 or 1), the length as uint32
 * big-endian, then `data`, in one new array. Runtime-neutral; Node's gRPC
 * transport has a Buffer version (src/node/grpc/envelope.ts).
 */
export function encodeEnvelope(flags: number, data: Uint8Array): Uint8Array {
  const n = data.length;
  const frame = new Uint8Array(PREFIX_BYTES + n);
  frame[0] = flags;
  frame[1] = n >>> 24;
  frame[2] = (n >>> 16) & 0xff;
  frame[3] = (n >>> 8) & 0xff;
  frame[4] = n & 0xff;
  frame.set(data, PREFIX_BYTES);
  return frame;
}
