/**
 * The time source of the retry interceptor. Tests inject a fake one to make
 * delay schedules and deadlines exact.
 */
export interface RetryClock {
  /** The current time in milliseconds, on a clock that never goes back. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a callback scheduled with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `performance.now()` and the global timers. */
export const systemClock: RetryClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The exponential backoff parameters of gRFC A6. */
export interface BackoffPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
}

/**
 * The delay before the n-th retry (n = 1 for the first), with full jitter as
 * gRFC A6 specifies: a uniform random time in
 * [0, min(initialBackoffMs * backoffMultiplier^(n-1), maxBackoffMs)].
 * `random` returns a number in [0, 1), like `Math.random`.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.initialBackoffMs * policy.backoffMultiplier ** (retry - 1), policy.maxBackoffMs);
  // Clamped so a misbehaving random source can never exceed the ceiling.
  const fraction = Math.min(Math.max(random(), 0), 1);
  return fraction * ceiling;
}

/**
 * Waits `ms` milliseconds on `clock`. Rejects with the signal's reason as soon
 * as `signal` aborts, and cancels the timer.
 */
export function sleep(ms: number, signal: AbortSignal, clock: RetryClock): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
