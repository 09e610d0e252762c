import type { ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** The response metadata key of gRFC A6 server pushback. */
export const retryPushbackHeader = "grpc-retry-pushback-ms";

/**
 * What a failed response says about retrying it:
 * - `none`: nothing, the client's backoff applies;
 * - `stop`: the server asks not to retry;
 * - `delay`: the server asks to wait exactly `delayMs` before the retry.
 */
export type ServerRetryAdvice =
  | { readonly kind: "none" }
  | { readonly kind: "stop" }
  | { readonly kind: "delay"; readonly delayMs: number };

const none: ServerRetryAdvice = { kind: "none" };
const stop: ServerRetryAdvice = { kind: "stop" };

// A6: "an ASCII encoded signed 32-bit integer".
const maxPushbackMs = 2 ** 31 - 1;

/**
 * Reads the server's retry advice from an error. The `grpc-retry-pushback-ms`
 * metadata of gRFC A6 wins: a non-negative integer is the delay, anything
 * else (negative, malformed, repeated) means stop. Otherwise a
 * `google.rpc.RetryInfo` detail gives the delay as its `retry_delay`; one
 * without a usable delay is ignored.
 */
export function readServerRetryAdvice(error: ConnectError): ServerRetryAdvice {
  const pushback = error.metadata.get(retryPushbackHeader);
  if (pushback !== null) {
    const value = pushback.trim();
    if (!/^\d+$/.test(value)) return stop;
    const delayMs = Number.parseInt(value, 10);
    return delayMs <= maxPushbackMs ? { kind: "delay", delayMs } : stop;
  }
  for (const info of error.findDetails(RetryInfoSchema)) {
    const delay = info.retryDelay;
    if (delay === undefined) continue;
    const delayMs = Number(delay.seconds) * 1000 + delay.nanos / 1_000_000;
    if (Number.isFinite(delayMs) && delayMs >= 0) {
      return { kind: "delay", delayMs };
    }
  }
  return none;
}
