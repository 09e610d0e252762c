/**
 * Per-message compression for gRPC (compression.md; PROTOCOL-HTTP2.md,
 * "Message-Encoding" and "Compressed-Flag"). Each message is compressed on
 * its own ("Compression contexts are NOT maintained over message
 * boundaries"), so the one-shot synchronous zlib calls fit: a unary message
 * costs no stream objects, callbacks or promises.
 */
import { constants as bufferConstants } from "node:buffer";
import * as zlib from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import { clientLimitError } from "../../errors/client-limit-error.js";

/** An encoding this client compresses requests with (`grpc-encoding`). */
export type SendEncoding = "gzip" | "br";

/**
 * The `grpc-accept-encoding` this client sends: the codings it asks servers
 * to compress responses with. Identity is not listed: every peer must accept
 * uncompressed messages (Compressed-Flag 0), the spec's ABNF does not require
 * naming it, and connect-es and grpc-go leave it out too. We also decode
 * `deflate` without advertising it, which compression.md allows ("a peer MAY
 * choose to not disclose all the encodings it supports").
 */
export const grpcAcceptEncoding = "gzip, br";

/** The codings {@link decompressMessage} decodes, for error messages (compression.md test case 5). */
const supportedEncodings = "gzip, br, deflate";

/**
 * Brotli's default quality (11) is meant for static assets and costs tens of
 * times gzip's CPU; 5 is the usual choice for data compressed per request.
 */
const brotliQuality = 5;

/**
 * Compresses one message for sending with Compressed-Flag 1 and
 * `grpc-encoding: <encoding>`. Synchronous: gzip at zlib's default level,
 * brotli at quality 5.
 */
export function compressMessage(encoding: SendEncoding, data: Uint8Array): Uint8Array {
  try {
    if (encoding === "gzip") return zlib.gzipSync(data);
    return zlib.brotliCompressSync(data, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: brotliQuality,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
  } catch (e) {
    // zlib only fails here when it cannot allocate: nothing the server did.
    throw new ConnectError(`cannot compress message with ${encoding}: ${messageOf(e)}`, Code.Internal, undefined, undefined, e);
  }
}

/**
 * Decompresses one received message whose Compressed-Flag is 1, with the
 * response's `grpc-encoding` (undefined when the response had none).
 * Output beyond `readMaxBytes` is never allocated: zlib stops at the limit.
 *
 * Throws a ConnectError:
 * - RESOURCE_EXHAUSTED when the message inflates beyond `readMaxBytes`
 *   (statuscodes.md: "Sent or received message was larger than configured limit");
 * - INTERNAL when the data is corrupt (statuscodes.md: "Could not decompress,
 *   but compression algorithm supported (Server -> Client)");
 * - INTERNAL for an encoding we do not support, naming the ones we do
 *   (compression.md: "Data sent from a server compressed with an algorithm
 *   not supported by the client WILL result in an INTERNAL error status");
 * - INTERNAL when the flag is set but `grpc-encoding` is absent or identity
 *   (compression.md test case 6; PROTOCOL-HTTP2.md: "If the Message-Encoding
 *   header is omitted then the Compressed-Flag must be 0").
 */
export function decompressMessage(encoding: string | undefined, data: Uint8Array, readMaxBytes: number): Uint8Array {
  const name = normalize(encoding);
  const error = checkEncoding(name);
  if (error !== undefined) throw error;
  if (name === undefined || name === "identity") {
    throw new ConnectError(
      `invalid message: the compressed flag is set but grpc-encoding is ${name === undefined ? "absent" : `"${name}"`}`,
      Code.Internal,
    );
  }
  // maxOutputLength must be 1..buffer.constants.MAX_LENGTH; a limit of 0 is
  // checked on the (at most one byte long) result instead.
  const maxOutputLength = Math.max(1, Math.min(readMaxBytes, bufferConstants.MAX_LENGTH));
  let out: Buffer;
  try {
    switch (name) {
      case "gzip":
        out = zlib.gunzipSync(data, { maxOutputLength });
        break;
      case "br":
        out = zlib.brotliDecompressSync(data, { maxOutputLength });
        break;
      default:
        // gRPC's "deflate" is the zlib format (RFC 1950), as grpc core sends it.
        out = zlib.inflateSync(data, { maxOutputLength });
        break;
    }
  } catch (e) {
    if (nodeCode(e) === "ERR_BUFFER_TOO_LARGE") throw tooLarge(readMaxBytes, e);
    throw new ConnectError(`invalid ${name} data: ${messageOf(e)}`, Code.Internal, undefined, undefined, e);
  }
  if (out.length > readMaxBytes) throw tooLarge(readMaxBytes, undefined);
  return out;
}

/**
 * The error {@link decompressMessage} would throw for a response's
 * `grpc-encoding`, or undefined when we can decode it (gzip, br, deflate) or
 * it means no compression (absent, identity). For checking the response
 * headers once; the caller may equally wait for the first compressed message,
 * since a server may name a coding and then send every message uncompressed.
 * Content-codings are case-insensitive (RFC 9110 section 8.4.1).
 */
export function checkEncoding(encoding: string | undefined): ConnectError | undefined {
  switch (normalize(encoding)) {
    case undefined:
    case "identity":
    case "gzip":
    case "br":
    case "deflate":
      return undefined;
    default:
      return new ConnectError(`unsupported grpc-encoding "${encoding}": this client accepts ${supportedEncodings}`, Code.Internal);
  }
}

/** Lower-cases only when needed, so the usual "gzip" costs no string. */
function normalize(encoding: string | undefined): string | undefined {
  if (encoding === undefined || encoding === "") return undefined;
  switch (encoding) {
    case "gzip":
    case "br":
    case "identity":
    case "deflate":
      return encoding;
    default:
      return encoding.toLowerCase();
  }
}

function tooLarge(readMaxBytes: number, cause: unknown): ConnectError {
  // Our own limit: marked, so the call is not retried into the same bomb.
  return clientLimitError(`decompressed message size is larger than configured readMaxBytes ${readMaxBytes}`, cause);
}

function nodeCode(e: unknown): unknown {
  return e instanceof Error && "code" in e ? e.code : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
