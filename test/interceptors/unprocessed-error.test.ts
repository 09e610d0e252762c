import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { isUnprocessedError } from "../../src/interceptors/unprocessed-error.js";

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** How connect-node wraps a Node.js error: a ConnectError with a cause. */
function wrapped(cause: Error, code = Code.Unavailable): ConnectError {
  return new ConnectError(cause.message, code, undefined, undefined, cause);
}

describe("isUnprocessedError", () => {
  it("recognizes a refused connection", () => {
    expect(isUnprocessedError(wrapped(nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1")))).toBe(true);
  });

  it("recognizes a refused connection to every address of a host", () => {
    const refused = new AggregateError([
      nodeError("ECONNREFUSED", "connect ECONNREFUSED ::1:1"),
      nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"),
    ]);
    expect(isUnprocessedError(wrapped(refused))).toBe(true);
    const mixed = new AggregateError([nodeError("ECONNREFUSED", "connect ECONNREFUSED ::1:1"), nodeError("ECONNRESET", "read ECONNRESET")]);
    expect(isUnprocessedError(wrapped(mixed))).toBe(false);
  });

  it("recognizes an HTTP/2 stream reset with REFUSED_STREAM", () => {
    const reset = nodeError("ERR_HTTP2_STREAM_ERROR", "Stream closed with error code NGHTTP2_REFUSED_STREAM");
    expect(isUnprocessedError(wrapped(reset, Code.Internal))).toBe(true);
  });

  it("recognizes connect-node's own REFUSED_STREAM error", () => {
    const error = new ConnectError("http/2 stream closed with error code REFUSED_STREAM (0x7)", Code.Unavailable);
    expect(isUnprocessedError(error)).toBe(true);
  });

  it("does not trust the same text in an error read from a response", () => {
    const relayed = new ConnectError("http/2 stream closed with error code REFUSED_STREAM (0x7)", Code.Unavailable, {
      "content-type": "application/grpc",
    });
    expect(isUnprocessedError(relayed)).toBe(false);
  });

  it("recognizes a stream opened after GOAWAY", () => {
    const goaway = nodeError("ERR_HTTP2_GOAWAY_SESSION", "New streams cannot be created after receiving a GOAWAY");
    expect(isUnprocessedError(wrapped(goaway, Code.Internal))).toBe(true);
  });

  it.each([
    ["ECONNRESET", "read ECONNRESET"],
    ["ERR_HTTP2_STREAM_ERROR", "Stream closed with error code NGHTTP2_INTERNAL_ERROR"],
    ["ERR_HTTP2_SESSION_ERROR", "Session closed with error code 2"],
    ["ETIMEDOUT", "connect ETIMEDOUT"],
  ])("does not claim %s proves anything", (code, message) => {
    expect(isUnprocessedError(wrapped(nodeError(code, message)))).toBe(false);
  });

  it("does not claim a server's error proves anything", () => {
    expect(isUnprocessedError(new ConnectError("busy", Code.Unavailable))).toBe(false);
  });

  it("survives a cause chain that loops", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(isUnprocessedError(a)).toBe(false);
  });
});
