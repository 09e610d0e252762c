import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { checkEncoding } from "./message-compression.js";
import { readGrpcStatus, metadataFromNode } from "./grpc-status.js";
import { codeFromHttpStatus } from "./http-status-code.js";
import { connectionLostError, errorFromHttp2Failure, errorFromRstCode } from "./http2-error.js";

/**
 * The checks every gRPC response goes through, for unary and streaming
 * exchanges alike (PROTOCOL-HTTP2.md "Responses", http-grpc-status-mapping.md).
 */

/**
 * Checks the response headers. Returns the error the call ends with now, or
 * undefined when messages and trailers may follow.
 */
export function checkResponseHeaders(header: http2.IncomingHttpHeaders): ConnectError | undefined {
  // Node.js gives `:status` as a number, whatever its header type says.
  const status = header[":status"] as unknown as number | undefined;
  const grpcStatus = readGrpcStatus(header);
  if (status !== 200) {
    // A proxy's error page has no grpc-status: its HTTP status is all we
    // have. A gRPC server that answers 503 with a grpc-status meant that status.
    if (grpcStatus instanceof ConnectError) return grpcStatus;
    return new ConnectError(
      `HTTP ${String(status)}: the server did not answer with gRPC`,
      codeFromHttpStatus(status ?? 0),
      metadataFromNode(header),
    );
  }
  const contentType = header["content-type"];
  if (contentType === undefined || !isGrpcContentType(contentType)) {
    if (grpcStatus instanceof ConnectError) return grpcStatus;
    return new ConnectError(`unsupported content type ${String(contentType)}: not a gRPC response`, Code.Unknown, metadataFromNode(header));
  }
  // A grpc-status here makes a trailers-only response only if nothing
  // follows: the exchange decides at the end (a body or trailers win).
  const encodingError = checkEncoding(single(header["grpc-encoding"]));
  if (encodingError !== undefined) return encodingError;
  return undefined;
}

// "application/grpc", optionally "+proto" (the only codec we speak) and parameters.
function isGrpcContentType(value: string): boolean {
  if (!value.startsWith("application/grpc")) return false;
  const rest = value.length === 16 ? "" : value.slice(16);
  return rest === "" || rest.startsWith("+proto") || rest.startsWith("+json") || rest.startsWith(";");
}

/**
 * The error of a stream that closed without a usable ending: no trailers, or
 * not even headers. What Node.js tells about it decides the code: a reset
 * code from the server, a stream or session error, or a session that went
 * away (the connection was lost: UNAVAILABLE, never CANCELLED).
 */
export function streamEndError(
  stream: http2.ClientHttp2Stream,
  session: http2.Http2Session | undefined,
  streamError: unknown,
  origin: string,
  sawHeaders: boolean,
): ConnectError {
  if (streamError !== undefined) return errorFromHttp2Failure(streamError, origin);
  // `stream.session` is already gone when 'close' fires: the caller keeps the
  // session it opened the stream on. `closed` only means a GOAWAY arrived;
  // the streams it accepted still run, so only `destroyed` says "lost".
  if (session === undefined || session.destroyed) return connectionLostError(origin);
  const rstCode = stream.rstCode;
  if (rstCode !== undefined && rstCode !== http2.constants.NGHTTP2_NO_ERROR) return errorFromRstCode(rstCode, origin);
  return new ConnectError(
    sawHeaders ? `server ${origin} closed the stream without sending trailers` : `server ${origin} closed the stream without a response`,
    Code.Internal,
  );
}

/** The one value of a response field that must not repeat (the first, if a server repeats it). */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The status a response ended with: its trailers', else — a trailers-only
 * response — its headers' (PROTOCOL-HTTP2.md "Trailers-Only"), which count
 * only when no message came. An error carries the response headers in its
 * metadata too, as connect-es gives them. Returns null for OK, undefined
 * when neither says anything.
 */
export function endStatus(
  header: http2.IncomingHttpHeaders,
  trailer: http2.IncomingHttpHeaders | undefined,
  sawMessage: boolean,
): ConnectError | null | undefined {
  if (trailer !== undefined) {
    const status = readGrpcStatus(trailer);
    if (status instanceof ConnectError) mergeHeaders(status.metadata, header);
    return status;
  }
  const fromHeader = readGrpcStatus(header);
  if (fromHeader === undefined) return undefined;
  if (sawMessage) {
    return new ConnectError("protocol error: a trailers-only response (grpc-status in the headers) came with a message", Code.Internal);
  }
  return fromHeader;
}

function mergeHeaders(target: Headers, header: http2.IncomingHttpHeaders): void {
  metadataFromNode(header).forEach((value, name) => {
    if (!target.has(name)) target.append(name, value);
  });
}
