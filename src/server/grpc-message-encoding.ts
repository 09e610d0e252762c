import type * as http from "node:http";
import type * as http2 from "node:http2";

// The gRPC spec percent-encodes grpc-message minimally: only bytes outside
// 0x20-0x7E and "%" itself (PROTOCOL-HTTP2.md, "Status-Message"). connect-es
// writes it with encodeURIComponent, which the spec allows, but clients may
// decode minimally too: @grpc/grpc-js uses decodeURI and shows its users
// "invalid argument%3A email%3A ...". Sending the minimal form is read right
// by every decoder, the strict and the lenient ones.
// https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#responses

const GRPC_MESSAGE = "grpc-message";
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
/** Envelope flag of a gRPC-Web trailer frame that is not compressed. */
const TRAILER_FLAG = 0x80;

/**
 * Percent-encodes a status message as the gRPC spec asks: the UTF-8 bytes
 * outside 0x20-0x7E, and "%", become `%XX`; everything else stays as is.
 */
export function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of utf8.encode(message)) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/**
 * Re-encodes a `grpc-message` value that is percent-encoded in any way (for
 * example with encodeURIComponent) to the minimal form of {@link encodeGrpcMessage}.
 * A value that is not valid percent-encoding is returned unchanged.
 */
export function normalizeGrpcMessage(value: string): string {
  let message: string;
  try {
    message = decodeURIComponent(value);
  } catch {
    return value;
  }
  return encodeGrpcMessage(message);
}

type Response = http.ServerResponse | http2.Http2ServerResponse;
type Request = http.IncomingMessage | http2.Http2ServerRequest;

/**
 * Makes a gRPC or gRPC-Web response send `grpc-message` in the minimal
 * encoding, wherever connect-node writes it: in the headers of a
 * trailers-only response (`writeHead`), in HTTP trailers (`addTrailers`), and
 * in the gRPC-Web trailer frame at the end of the body (`write`). Requests of
 * other protocols are left alone. Call it before the handler writes anything.
 */
export function rewriteGrpcMessageEncoding(req: Request, res: Response): void {
  const contentType = req.headers["content-type"] ?? "";
  if (!contentType.startsWith("application/grpc")) return;
  // Patched per response, through a loose view: the overloads of http and
  // http2 responses differ, but connect-node calls both the same way.
  const target = res as unknown as {
    writeHead(...args: unknown[]): unknown;
    addTrailers(headers: unknown): void;
    write(...args: unknown[]): boolean;
  };
  const writeHead = target.writeHead;
  target.writeHead = function (this: unknown, ...args: unknown[]) {
    const last = args.length - 1;
    if (last > 0) args[last] = rewriteHeaders(args[last]);
    return writeHead.apply(this, args);
  };
  const addTrailers = target.addTrailers;
  target.addTrailers = function (this: unknown, headers: unknown) {
    addTrailers.call(this, rewriteHeaders(headers));
  };
  // gRPC-Web-text (base64 body) is refused by connect-node, so only the
  // binary body can carry a trailer frame.
  if (contentType.startsWith("application/grpc-web") && !contentType.startsWith("application/grpc-web-text")) {
    const write = target.write;
    target.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
      return write.call(this, rewriteTrailerFrame(chunk), ...rest);
    };
  }
}

/** Rewrites `grpc-message` in a node header object; other shapes pass through. */
function rewriteHeaders(headers: unknown): unknown {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) return headers;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== GRPC_MESSAGE) continue;
    copy ??= { ...headers };
    if (typeof value === "string") copy[key] = normalizeGrpcMessage(value);
    else if (Array.isArray(value)) copy[key] = value.map((v) => (typeof v === "string" ? normalizeGrpcMessage(v) : v));
  }
  return copy ?? headers;
}

/**
 * Rewrites `grpc-message` in a gRPC-Web trailer frame. connect-node writes
 * each envelope with one `write`, so a chunk that is exactly one envelope
 * flagged 0x80 is the trailer frame; data frames are flagged 0x00 or 0x01.
 * A compressed trailer frame (0x81, only when it exceeds the compression
 * threshold) is left as is.
 */
function rewriteTrailerFrame(chunk: unknown): unknown {
  if (!(chunk instanceof Uint8Array) || chunk.byteLength < 5 || chunk[0] !== TRAILER_FLAG) return chunk;
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (view.getUint32(1) !== chunk.byteLength - 5) return chunk;
  const text = utf8Decoder.decode(chunk.subarray(5));
  let changed = false;
  const rewritten = text.replace(/^([^:\r\n]+):[ \t]*([^\r\n]*)/gm, (line, key: string, value: string) => {
    if (key.trim().toLowerCase() !== GRPC_MESSAGE) return line;
    changed = true;
    return `${key}: ${normalizeGrpcMessage(value)}`;
  });
  if (!changed) return chunk;
  const body = utf8.encode(rewritten);
  const frame = new Uint8Array(5 + body.byteLength);
  frame[0] = TRAILER_FLAG;
  new DataView(frame.buffer).setUint32(1, body.byteLength);
  frame.set(body, 5);
  return frame;
}
