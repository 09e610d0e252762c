import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { createEnvelopeReader } from "./envelope.js";
import type { GrpcCall } from "../../call/grpc-call.js";
import { decompressMessage } from "./message-compression.js";
import { checkResponseHeaders, endStatus, single, streamEndError } from "./response-validation.js";

/**
 * Makes the call's result from a successful exchange: the response bytes
 * (decompressed) and the raw headers and trailers, with the `context` the
 * exchange was given (the method), so one module-level function serves
 * every call. A throw fails the call with that error.
 */
export type UnaryRespond<C, R> = (
  context: C,
  bytes: Uint8Array,
  header: http2.IncomingHttpHeaders,
  trailer: http2.IncomingHttpHeaders,
) => R;

/**
 * Sends one enveloped request on `stream` and reads the single response:
 * one promise, no async iterables, the response bytes usually a view of the
 * one DATA chunk (call-path.md). It settles once: with what `respond` makes
 * of the response (decoding there saves the caller a promise per call), the
 * status the server sent, a protocol error, or — when the call is cancelled
 * — the call's end reason, after resetting the stream with CANCEL.
 */
export function exchangeUnary<C, R>(
  call: GrpcCall,
  stream: http2.ClientHttp2Stream,
  frame: Uint8Array,
  readMaxBytes: number,
  origin: string,
  context: C,
  respond: UnaryRespond<C, R>,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let header: http2.IncomingHttpHeaders | undefined;
    let trailer: http2.IncomingHttpHeaders | undefined;
    let flags = 0;
    let message: Uint8Array | undefined;
    let extra = false;
    let streamError: unknown;
    let settled = false;
    const reader = createEnvelopeReader(readMaxBytes);
    const session = stream.session;
    /**
     * Settling takes our listeners off the stream. Node keeps a closed
     * stream reachable until the next full GC (its native handle is a root
     * for the scavenger), so whatever its listeners hold, this closure and
     * through it the call, the request and the response, would be copied by
     * every scavenge and promoted: 4 KB a call, a third of the GC time of a
     * small unary call. The pool's own listeners stay, its 'error' one too,
     * so an error after this point is still read.
     */
    const release = () => {
      settled = true;
      call.interrupt = undefined;
      stream.off("response", onResponse);
      stream.off("data", onData);
      stream.off("trailers", onTrailers);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    const fail = (error: ConnectError) => {
      if (settled) return;
      release();
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(error);
    };
    call.interrupt = fail;
    const onEnvelope = (f: number, data: Uint8Array) => {
      if (message !== undefined) {
        extra = true;
        return;
      }
      flags = f;
      message = data;
    };
    const onResponse = (h: http2.IncomingHttpHeaders) => {
      header = h;
      const error = checkResponseHeaders(h);
      if (error !== undefined) fail(error);
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      try {
        reader.push(chunk, onEnvelope);
      } catch (e) {
        fail(ConnectError.from(e, Code.Internal));
      }
    };
    const onTrailers = (t: http2.IncomingHttpHeaders) => (trailer = t);
    // Every stream error is ours to report: an 'error' without a listener would crash the process.
    const onError = (e: unknown) => (streamError = e);
    const onClose = () => {
      if (settled) return;
      if (header === undefined) return fail(streamEndError(stream, session, streamError, origin, false));
      const status = endStatus(header, trailer, message !== undefined);
      if (status === undefined) {
        if (trailer === undefined) return fail(streamEndError(stream, session, streamError, origin, true));
        return fail(new ConnectError("protocol error: missing grpc-status in trailers", Code.Internal));
      }
      if (status !== null) return fail(status);
      if (reader.pending > 0) {
        try {
          reader.end();
        } catch (e) {
          return fail(ConnectError.from(e, Code.Internal));
        }
      }
      if (message === undefined)
        return fail(new ConnectError("protocol error: missing output message for unary method", Code.Unimplemented));
      if (extra) return fail(new ConnectError("protocol error: received extra output message for unary method", Code.Unimplemented));
      let bytes = message;
      if ((flags & 1) === 1) {
        try {
          bytes = decompressMessage(single(header["grpc-encoding"]), message, readMaxBytes);
        } catch (e) {
          return fail(ConnectError.from(e, Code.Internal));
        }
      }
      let result: R;
      try {
        result = respond(context, bytes, header, trailer ?? {});
      } catch (e) {
        return fail(ConnectError.from(e, Code.Internal));
      }
      release();
      resolve(result);
    };
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("error", onError);
    stream.on("close", onClose);
    stream.end(frame);
  });
}
