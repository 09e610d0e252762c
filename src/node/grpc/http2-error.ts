/**
 * HTTP/2 failures as ConnectErrors with the codes the gRPC spec gives
 * (PROTOCOL-HTTP2.md "Errors" and "Connection failure"; statuscodes.md).
 * Every environment failure of our gRPC transport is typed here, once.
 *
 * What Node.js (20.x, checked by test/node/grpc/http2-error.test.ts) reports
 * on a ClientHttp2Stream, in event order:
 *
 * - Server RST_STREAM with any code but NO_ERROR and CANCEL: stream 'error'
 *   ERR_HTTP2_STREAM_ERROR "Stream closed with error code NGHTTP2_<NAME>" (the
 *   bare number for codes Node does not know), then 'close' with
 *   `stream.rstCode` set. nghttp2 resets a stream the same way, with
 *   PROTOCOL_ERROR, when the server sends malformed headers (e.g. an
 *   upper-case name): the fault is the server's either way.
 * - Server RST_STREAM(CANCEL) or RST_STREAM(NO_ERROR): no 'error'; 'end'
 *   (plus 'aborted' when our request side was still open), then 'close' with
 *   rstCode 8 or 0, and no 'trailers'. Use {@link errorFromRstCode} when no
 *   trailers came.
 * - Server destroys its session or half-closes the TCP connection (FIN):
 *   'goaway' NO_ERROR on the session (destroy only), then on the stream no
 *   'error', just 'end' and 'close' with rstCode 8 (CANCEL) that Node made
 *   up locally, with `session.destroyed === true`. This is the trap behind
 *   issue 13 item 2: it is a lost connection (UNAVAILABLE via
 *   {@link connectionLostError}), not a cancellation.
 * - TCP reset (RST): stream 'error' ECONNRESET "read ECONNRESET", 'close' with
 *   rstCode 2 (INTERNAL_ERROR, again made up locally), then session 'error'.
 * - GOAWAY with an error code: session 'goaway' (code, lastStreamID), stream
 *   'error' ERR_HTTP2_SESSION_ERROR "Session closed with error code N",
 *   'close' with rstCode N (local), session 'error'. Node fails every stream
 *   of the session, whether below lastStreamID or not.
 * - A protocol violation nghttp2 reports (PUSH_PROMISE to a client with
 *   enablePush false): stream 'error' ERR_HTTP2_ERROR "Protocol error", 'close'
 *   with rstCode 2 (local), session 'error'; with enablePush true (Node's
 *   default) the push arrives as a session 'stream' event instead.
 * - Bad HPACK, DATA before HEADERS, or a frame over the frame size: nghttp2
 *   sends GOAWAY (COMPRESSION_ERROR, PROTOCOL_ERROR, FRAME_SIZE_ERROR) and
 *   stops, and Node.js 20 emits no event at all on stream or session (issue
 *   13 item 3's zombie connection; the pool's dead-session-watch.ts finds
 *   it). Node.js 22.23 reports it as the PUSH_PROMISE case below.
 * - A header block of more than 128 fields (maxHeaderListPairs): Node resets
 *   the stream itself with ENHANCE_YOUR_CALM, indistinguishable from the
 *   server's (RESOURCE_EXHAUSTED either way); a header block in too many
 *   CONTINUATION frames: ERR_HTTP2_ERROR, session destroyed.
 * - `session.request()` throws synchronously: ERR_HTTP2_GOAWAY_SESSION after
 *   a GOAWAY, ERR_HTTP2_INVALID_SESSION once the session is destroyed. Node.js
 *   24 returns a stream instead and emits the same error on it in the next tick.
 *
 * - `stream.session` is already undefined when 'end' and 'close' fire, for
 *   every stream (a server's CANCEL on a live session too): keep the session
 *   from `request()` to ask whether it was destroyed. Ask `destroyed`, not
 *   `closed`: `closed` is true after any GOAWAY, NO_ERROR included, while the
 *   streams below its last-stream-id still run normally.
 *
 * Node 22 reports the same, but for the zombie case. So: an 'error' event, when there is one, names
 * the failure better than rstCode (which is often Node's own); when there is
 * none, rstCode is the server's only if the session is not destroyed.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { notSentError } from "../connection/not-sent-error.js";

/** RFC 9113 section 7 error code names, indexed by code. */
const h2CodeNames = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
] as const;

const NO_ERROR = 0x0;
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;
const ENHANCE_YOUR_CALM = 0xb;
const INADEQUATE_SECURITY = 0xc;

/**
 * The error for a stream the server reset with `rstCode` before the response
 * ended (no trailers), per PROTOCOL-HTTP2.md "Errors". Only for a reset from
 * the server: after our own `stream.close()`, or when the session is
 * destroyed, Node sets rstCode itself (see the notes at the top of this file).
 */
export function errorFromRstCode(rstCode: number, origin: string): ConnectError {
  return rstError(rstCode, origin, undefined);
}

function rstError(rstCode: number, origin: string, cause: unknown): ConnectError {
  const message = `http/2 stream to ${origin} reset by the server with ${describeH2Code(rstCode)}`;
  switch (rstCode) {
    case REFUSED_STREAM:
      // "Indicates that no processing occurred and the request can be
      // retried": marked as never processed, so any method is retried
      // transparently (gRFC A6, isUnprocessedError).
      return notSentError(message, cause);
    case CANCEL:
      // "Mapped to CANCELLED when sent by a server."
      return new ConnectError(message, Code.Canceled, undefined, undefined, cause);
    case ENHANCE_YOUR_CALM:
      // "RESOURCE_EXHAUSTED ...the exhausted resource is bandwidth."
      return new ConnectError(`${message}: the server asks for less traffic`, Code.ResourceExhausted, undefined, undefined, cause);
    case INADEQUATE_SECURITY:
      // "PERMISSION_DENIED ...protocol is not secure enough for call."
      return new ConnectError(`${message}: the connection is not secure enough`, Code.PermissionDenied, undefined, undefined, cause);
    case NO_ERROR:
      // "An explicit GRPC status of OK should have been sent."
      return new ConnectError(`${message} before the response ended`, Code.Internal, undefined, undefined, cause);
    default:
      // PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT,
      // FRAME_SIZE_ERROR, COMPRESSION_ERROR, CONNECT_ERROR: INTERNAL by the
      // table. STREAM_CLOSED has "no mapping" there (a peer cannot send it
      // on an open stream), HTTP_1_1_REQUIRED no row: a server that sends
      // either broke the protocol, so INTERNAL, as grpc-go does for both.
      // Unknown codes: INTERNAL too (RFC 9113 section 7: treat as INTERNAL_ERROR).
      return new ConnectError(message, Code.Internal, undefined, undefined, cause);
  }
}

/**
 * The error for a Node.js stream or session failure: an 'error' event, an
 * error thrown by `session.request()`, or `undefined` for a session that went
 * away without one. A ConnectError passes through unchanged. The original is
 * kept as `cause` (for never-sent calls, as the cause of {@link notSentError}'s
 * reason). A connection the server closed or reset is UNAVAILABLE, never
 * CANCELLED or ABORTED (PROTOCOL-HTTP2.md "Connection failure"; issue 13 item 2).
 */
export function errorFromHttp2Failure(error: unknown, origin: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error === undefined || error === null) return connectionLostError(origin);
  const message = error instanceof Error ? error.message : String(error);
  // The outermost error whose code we know decides; Node wraps causes, e.g.
  // ERR_HTTP2_STREAM_CANCEL around the session's connect error.
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++, e = e.cause) {
    const code = "code" in e && typeof e.code === "string" ? e.code : undefined;
    const mapped = code === undefined ? undefined : fromNodeCode(code, e.message, origin, message, error);
    if (mapped !== undefined) return mapped;
    if ("syscall" in e && typeof e.syscall === "string") {
      // Any other libuv system error on the socket: the connection failed.
      return lost(origin, message, error);
    }
  }
  return new ConnectError(`http/2 call to ${origin} failed: ${message}`, Code.Internal, undefined, undefined, error);
}

/**
 * UNAVAILABLE for a call whose connection went away before it completed: a
 * stream that closed without trailers because its session was destroyed or
 * its socket closed (PROTOCOL-HTTP2.md "Connection failure": "all calls will
 * be closed with an UNAVAILABLE status"; statuscodes.md: "Some data
 * transmitted ... before connection breaks").
 */
export function connectionLostError(origin: string, cause?: unknown): ConnectError {
  return new ConnectError(
    cause instanceof Error ? `connection to ${origin} lost: ${cause.message}` : `connection to ${origin} lost`,
    Code.Unavailable,
    undefined,
    undefined,
    cause,
  );
}

function fromNodeCode(code: string, ownMessage: string, origin: string, message: string, error: unknown): ConnectError | undefined {
  switch (code) {
    case "ERR_HTTP2_STREAM_ERROR":
      // A reset, from the server or from nghttp2 because of what the server sent.
      return rstError(rstCodeOfMessage(ownMessage), origin, error);
    case "ERR_HTTP2_SESSION_ERROR":
      // GOAWAY with an error code (or a session destroyed with one): the
      // connection is gone, whatever the server had seen of the call.
      return lost(origin, `session closed with ${describeH2Code(rstCodeOfMessage(ownMessage))}`, error);
    case "ERR_HTTP2_GOAWAY_SESSION": // request() after a GOAWAY
    case "ERR_HTTP2_INVALID_SESSION": // request() on a destroyed session
    case "ERR_HTTP2_STREAM_CANCEL": // a pending stream (never submitted) of a session destroyed before it connected
    case "ERR_HTTP2_OUT_OF_STREAMS": // stream ids exhausted: a new session is needed
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      // The call never left the client: UNAVAILABLE and safe to retry for
      // any method (gRFC A6 transparent retry).
      return notSentError(`call to ${origin} not sent: ${message}`, error);
    case "ECONNRESET":
    case "EPIPE":
    case "ETIMEDOUT":
    case "ECONNABORTED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENETDOWN":
    case "EHOSTDOWN":
    case "ERR_SOCKET_CLOSED":
    case "ERR_STREAM_PREMATURE_CLOSE":
    case "ERR_HTTP2_SOCKET_UNBOUND":
    case "ERR_HTTP2_PING_CANCEL":
    case "ERR_HTTP2_SETTINGS_CANCEL":
    case "ERR_HTTP2_MAX_PENDING_SETTINGS_ACK":
    case "ERR_STREAM_DESTROYED": // a write after the stream was destroyed under us
    case "ERR_HTTP2_INVALID_STREAM":
      // The connection broke or went away: "Some data transmitted ... before
      // connection breaks" is UNAVAILABLE (statuscodes.md).
      return lost(origin, message, error);
    case "ERR_HTTP2_ERROR": // nghttp2 rejected what the server sent ("Protocol error")
    case "ERR_HTTP2_TOO_MANY_INVALID_FRAMES":
      // The server broke the protocol ("Flow-control protocol violation" and
      // its kin are INTERNAL, statuscodes.md; issue 13 item 3).
      return new ConnectError(`http/2 protocol error from ${origin}: ${message}`, Code.Internal, undefined, undefined, error);
    case "ERR_HTTP2_INVALID_HEADER_VALUE":
    case "ERR_INVALID_HTTP_TOKEN":
    case "ERR_INVALID_CHAR":
    case "ERR_HTTP2_HEADER_SINGLE_VALUE":
    case "ERR_HTTP2_INVALID_CONNECTION_HEADERS":
    case "ERR_HTTP2_INVALID_PSEUDOHEADER":
      // Node refused our own request headers: nothing a retry can fix.
      return new ConnectError(`invalid request metadata for ${origin}: ${message}`, Code.Internal, undefined, undefined, error);
    case "ABORT_ERR":
      // Only our own AbortSignal (passed to request()) raises this.
      return new ConnectError(`call to ${origin} cancelled`, Code.Canceled, undefined, undefined, error);
    default:
      if (isTlsFailure(code)) {
        // TLS handshake or certificate failure: the channel is unusable, as
        // grpc-go reports it (UNAVAILABLE "authentication handshake failed").
        return lost(origin, message, error);
      }
      return undefined;
  }
}

/**
 * OpenSSL and Node TLS codes: ERR_SSL_*, ERR_TLS_*, and the certificate
 * verification codes (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * DEPTH_ZERO_SELF_SIGNED_CERT, HOSTNAME_MISMATCH, ...).
 */
function isTlsFailure(code: string): boolean {
  return (
    code.startsWith("ERR_SSL_") ||
    code.startsWith("ERR_TLS_") ||
    code.startsWith("UNABLE_TO_") ||
    code.includes("CERT") ||
    code === "HOSTNAME_MISMATCH" ||
    code === "INVALID_CA" ||
    code === "INVALID_PURPOSE" ||
    code === "PATH_LENGTH_EXCEEDED"
  );
}

function lost(origin: string, reason: string, cause: unknown): ConnectError {
  return new ConnectError(`connection to ${origin} lost: ${reason}`, Code.Unavailable, undefined, undefined, cause);
}

/** "REFUSED_STREAM (0x7)", or "error code 0x42" for a code RFC 9113 does not name. */
function describeH2Code(code: number): string {
  if (code < 0) return "an unknown error code";
  const name = h2CodeNames[code];
  const hex = `0x${code.toString(16)}`;
  return name === undefined ? `error code ${hex}` : `${name} (${hex})`;
}

/**
 * The code in Node's "Stream closed with error code NGHTTP2_REFUSED_STREAM"
 * or "Session closed with error code 2" (lib/internal/http2/core.js); -1
 * when the message has neither form, which maps to INTERNAL.
 */
function rstCodeOfMessage(message: string): number {
  const token = message.slice(message.lastIndexOf(" ") + 1);
  if (token.startsWith("NGHTTP2_")) return (h2CodeNames as readonly string[]).indexOf(token.slice(8));
  const n = Number(token);
  return token !== "" && Number.isInteger(n) && n >= 0 ? n : -1;
}
