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
    const fail = (error: ConnectError) => {
      if (settled) return;
      settled = true;
      call.interrupt = undefined;
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
    stream.on("response", (h) => {
      header = h;
      const error = checkResponseHeaders(h);
      if (error !== undefined) fail(error);
    });
    stream.on("data", (chunk: Buffer) => {
      if (settled) return;
      try {
        reader.push(chunk, onEnvelope);
      } catch (e) {
        fail(ConnectError.from(e, Code.Internal));
      }
    });
    stream.on("trailers", (t) => (trailer = t));
    // Every stream error is ours to report: an 'error' without a listener would crash the process.
    stream.on("error", (e) => (streamError = e));
    stream.on("close", () => {
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
      settled = true;
      call.interrupt = undefined;
      resolve(result);
    });
    stream.end(frame);
  });
}
