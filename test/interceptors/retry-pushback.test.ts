import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { readServerRetryAdvice } from "../../src/interceptors/retry-pushback.js";

function withPushback(value: string) {
  return new ConnectError("busy", Code.Unavailable, {
    "grpc-retry-pushback-ms": value,
  });
}

function withRetryInfo(seconds: bigint, nanos: number) {
  return new ConnectError("busy", Code.Unavailable, undefined, [{ desc: RetryInfoSchema, value: { retryDelay: { seconds, nanos } } }]);
}

describe("readServerRetryAdvice", () => {
  it("reads a non-negative pushback as the exact delay", () => {
    expect(readServerRetryAdvice(withPushback("0"))).toEqual({
      kind: "delay",
      delayMs: 0,
    });
    expect(readServerRetryAdvice(withPushback("1500"))).toEqual({
      kind: "delay",
      delayMs: 1500,
    });
  });

  it.each(["-1", "", "abc", "1e3", "2.5", "2147483648", "1, 2"])("reads the pushback %j as stop", (value) => {
    expect(readServerRetryAdvice(withPushback(value))).toEqual({
      kind: "stop",
    });
  });

  it("converts a RetryInfo retry_delay to milliseconds", () => {
    expect(readServerRetryAdvice(withRetryInfo(2n, 250_000_000))).toEqual({
      kind: "delay",
      delayMs: 2250,
    });
  });

  it("ignores a negative RetryInfo delay", () => {
    expect(readServerRetryAdvice(withRetryInfo(-1n, 0))).toEqual({
      kind: "none",
    });
  });

  it("says nothing when the error has neither", () => {
    expect(readServerRetryAdvice(new ConnectError("busy", Code.Unavailable))).toEqual({ kind: "none" });
  });
});
