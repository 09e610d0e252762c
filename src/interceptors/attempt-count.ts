import { createContextKey } from "@connectrpc/connect";

/**
 * How many attempts a call has made so far. The retry interceptor sets it
 * before each attempt; outer interceptors (logging, telemetry) read it once
 * the call has ended. Defaults to 1 for calls that were never retried.
 */
export const attemptCountKey = createContextKey<number>(1, {
  description: "number of attempts made for this call",
});
