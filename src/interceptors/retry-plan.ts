import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectError, ContextValues } from "@connectrpc/connect";
import { backoffDelayMs } from "./backoff.js";
import { methodKey, type ResolvedRetryOptions } from "./retry-options.js";
import { readServerRetryAdvice } from "./retry-pushback.js";
import type { RetryThrottle } from "./retry-throttle.js";
import { retryableCallKey } from "./retryable-call.js";
import { isUnprocessedError } from "./unprocessed-error.js";

/**
 * The retry decisions of gRFC A6, written once: the retry interceptor and the
 * Node gRPC transport's call loop both ask this module whether a failed
 * attempt is retried and after which delay.
 */

/** The state of one call across its attempts. */
export interface RetryState {
  /** Attempts started so far. */
  attempt: number;
  /** Retries since the backoff sequence (re)started: n in the A6 formula. */
  backoffRetries: number;
  /** Whether the immediate transparent retry has been used. */
  transparentRetryUsed: boolean;
  /** The delay slept before the attempt about to start, for the observer. */
  delayMs: number;
  /** Whether the attempt about to start is a transparent retry, for the observer. */
  transparent: boolean;
}

/** A fresh state for a call's first attempt. */
export function initialRetryState(): RetryState {
  return { attempt: 0, backoffRetries: 0, transparentRetryUsed: false, delayMs: 0, transparent: false };
}

/** A decided retry. */
export interface RetryPlan {
  readonly delayMs: number;
  readonly transparent: boolean;
}

/**
 * Decides whether the failed attempt is retried and after which delay, and
 * charges the throttle for failures that A6 counts. Undefined means no retry,
 * "throttled" no retry because the throttle is out of tokens.
 */
export function planRetry(
  config: ResolvedRetryOptions,
  throttle: RetryThrottle | undefined,
  state: RetryState,
  eligible: boolean,
  error: ConnectError,
): RetryPlan | "throttled" | undefined {
  if (isUnprocessedError(error)) {
    // A6 transparent retry: the server application never saw the attempt,
    // so it neither counts as a server failure nor needs an idempotent method.
    if (state.attempt >= config.maxAttempts) return undefined;
    if (!state.transparentRetryUsed) {
      state.transparentRetryUsed = true;
      return { delayMs: 0, transparent: true };
    }
    return { delayMs: nextBackoffMs(config, state), transparent: true };
  }
  const advice = readServerRetryAdvice(error);
  const retryableCode = config.retryableCodes.has(error.code);
  if (retryableCode || advice.kind === "stop") throttle?.recordFailure();
  if (!eligible || !retryableCode || advice.kind === "stop") return undefined;
  if (state.attempt >= config.maxAttempts) return undefined;
  if (throttle !== undefined && !throttle.allowsRetry()) return "throttled";
  if (advice.kind === "delay") {
    // A6: after a server-given delay, backoff restarts from initialBackoffMs.
    state.backoffRetries = 0;
    return { delayMs: advice.delayMs, transparent: false };
  }
  return { delayMs: nextBackoffMs(config, state), transparent: false };
}

function nextBackoffMs(config: ResolvedRetryOptions, state: RetryState) {
  state.backoffRetries++;
  return backoffDelayMs(state.backoffRetries, config, config.random);
}

/**
 * Whether the method policy allows retrying this call: the per-call
 * `retryableCallKey` wins, then the method's idempotency level, then
 * `retryMethods`.
 */
export function isRetryEligible(config: ResolvedRetryOptions, method: DescMethod, contextValues: ContextValues): boolean {
  const override = contextValues.get(retryableCallKey);
  if (override !== undefined) return override;
  return isIdempotent(method) || config.retryMethods.has(methodKey(method));
}

/** Whether the schema declares the method free of side effects or idempotent. */
export function isIdempotent(method: DescMethod): boolean {
  switch (method.idempotency) {
    case MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS:
    case MethodOptions_IdempotencyLevel.IDEMPOTENT:
      return true;
    default:
      return false;
  }
}

/** Whether A6 counts an error as a server failure for the throttle. */
export function countsAsFailure(config: ResolvedRetryOptions, error: ConnectError): boolean {
  if (isUnprocessedError(error)) return false;
  return config.retryableCodes.has(error.code) || readServerRetryAdvice(error).kind === "stop";
}
