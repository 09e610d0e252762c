import { Code, ConnectError } from "@connectrpc/connect";

/** The Node-style error code of a call our connection pool could not send at all. */
export const NOT_SENT_CODE = "ERR_CALL_NOT_SENT";

/**
 * Whether an error proves that the server application never saw the call, so
 * that sending it again is safe for any method, idempotent or not. gRFC A6
 * calls these retries "transparent".
 *
 * Recognized anywhere in the `cause` chain (connect-node wraps Node.js errors
 * in a ConnectError and keeps them as `cause`):
 *
 * - `ECONNREFUSED`: the TCP connection was refused, nothing was sent.
 * - `ERR_HTTP2_STREAM_ERROR` for `NGHTTP2_REFUSED_STREAM`: the server reset
 *   the stream with REFUSED_STREAM, which RFC 9113 section 8.7 defines as
 *   "closed prior to any processing". Node.js also closes a stream this way
 *   when a graceful GOAWAY names a last-stream-id below it.
 * - `ERR_HTTP2_GOAWAY_SESSION`: the session had received GOAWAY before the
 *   stream was opened, so it never left the client.
 * - connect-node's own ConnectError for a REFUSED_STREAM reset, raised when it
 *   sees the reset code before the stream error.
 * - `ERR_CALL_NOT_SENT`: our Node connection pool found no connection to
 *   send the call on (connect timeout, every endpoint failing).
 *
 * Not recognized: a GOAWAY with an error code (Node.js destroys every stream
 * of the session with the same error, whether the server saw it or not) and
 * fetch failures in browsers (they say nothing about what was sent).
 */
export function isUnprocessedError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (isUnprocessedCause(e)) return true;
  }
  return false;
}

function isUnprocessedCause(e: Error): boolean {
  if (e instanceof ConnectError) return isRefusedStreamConnectError(e);
  if (e instanceof AggregateError) {
    // Node.js tries every address of a host name ("happy eyeballs") and
    // reports one AggregateError when all of them fail.
    return e.errors.length > 0 && e.errors.every((inner: unknown) => isUnprocessedError(inner));
  }
  const code = nodeErrorCode(e);
  switch (code) {
    case "ECONNREFUSED":
    case "ERR_HTTP2_GOAWAY_SESSION":
    case NOT_SENT_CODE:
      return true;
    case "ERR_HTTP2_STREAM_ERROR":
      return e.message.includes("NGHTTP2_REFUSED_STREAM");
    default:
      return false;
  }
}

// connect-node's connectErrorFromH2ResetCode() raises exactly this error. It
// has no cause and no metadata, unlike any error read from a response: a
// server relaying this text from an upstream call is not mistaken for it.
const refusedStreamMessage = "http/2 stream closed with error code REFUSED_STREAM (0x7)";

function isRefusedStreamConnectError(e: ConnectError): boolean {
  return (
    e.code === Code.Unavailable && e.rawMessage === refusedStreamMessage && e.cause === undefined && [...e.metadata.keys()].length === 0
  );
}

function nodeErrorCode(e: Error): string | undefined {
  return "code" in e && typeof e.code === "string" ? e.code : undefined;
}
