/**
 * The retry token bucket of gRFC A6 ("retryThrottling"): when too many calls
 * fail, retries stop until enough calls succeed again, so that retries never
 * multiply the load on a server that is already failing.
 */
export interface RetryThrottle {
  /** A call succeeded: earns `tokenRatio` tokens, up to `maxTokens`. */
  recordSuccess(): void;
  /** A call failed in a way A6 counts: costs one token, down to zero. */
  recordFailure(): void;
  /** Whether a retry may start: more than `maxTokens / 2` tokens are left. */
  allowsRetry(): boolean;
  /** The tokens left, for diagnostics and tests. */
  tokens(): number;
}

/** The parameters of the bucket, named as in gRFC A6. */
export interface RetryThrottleOptions {
  /** The size of the bucket, which starts full. */
  readonly maxTokens: number;
  /** The tokens a success earns; A6 supports three decimal places. */
  readonly tokenRatio: number;
}

/**
 * Creates a full token bucket. Counts in thousandths of a token, like gRPC
 * core, so that ten successes at 0.1 earn exactly one token.
 */
export function createRetryThrottle(options: RetryThrottleOptions): RetryThrottle {
  const max = Math.round(options.maxTokens * 1000);
  const ratio = Math.round(options.tokenRatio * 1000);
  let milliTokens = max;
  return {
    recordSuccess() {
      milliTokens = Math.min(max, milliTokens + ratio);
    },
    recordFailure() {
      milliTokens = Math.max(0, milliTokens - 1000);
    },
    allowsRetry() {
      return milliTokens * 2 > max;
    },
    tokens() {
      return milliTokens / 1000;
    },
  };
}
