import { ConnectError, createContextKey } from "@connectrpc/connect";

/** What the retry interceptor tells an observer when an attempt starts. */
export interface AttemptStart {
  /** 1 for the first attempt of the call. */
  readonly attempt: number;
  /** Milliseconds slept before this attempt (backoff or server pushback); 0 for the first. */
  readonly delayMs: number;
  /** Whether this is a transparent retry of an attempt the server never processed (gRFC A6). */
  readonly transparent: boolean;
  /**
   * The request headers of this attempt only. The observer may set headers
   * here, e.g. a `traceparent` naming the attempt's span.
   */
  readonly header: Headers;
}

/**
 * Watches the attempts of one call, for tracing and metrics. The retry
 * interceptor calls it; without one (a bare transport, or a call it does not
 * retry, such as client streaming) it is never called and the call is its
 * own single attempt.
 */
export interface AttemptObserver {
  /**
   * An attempt starts. Returns the function the retry interceptor calls once
   * when the attempt ends: with undefined when it succeeded (for a server
   * stream: when the stream completed), else with its error.
   */
  attemptStarted(start: AttemptStart): (error: ConnectError | undefined) => void;
  /** The retry throttle (gRFC A6 "retryThrottling") refused to retry this failed attempt. */
  retryThrottled(error: ConnectError): void;
}

/**
 * Where an outer interceptor (the telemetry interceptor) puts the observer of
 * a call, for the retry interceptor to find. Defaults to none.
 */
export const attemptObserverKey = createContextKey<AttemptObserver | undefined>(undefined, {
  description: "observer of this call's retry attempts",
});

/**
 * Tells `observer` that an attempt starts, and returns the function that
 * reports its end (only the first report counts). An observer that throws
 * never disturbs the call: observing is best effort.
 */
export function observeAttempt(observer: AttemptObserver | undefined, start: AttemptStart): (error?: unknown) => void {
  if (observer === undefined) return () => {};
  let end: ((error: ConnectError | undefined) => void) | undefined;
  try {
    end = observer.attemptStarted(start);
  } catch {
    return () => {};
  }
  return (error?: unknown) => {
    const report = end;
    end = undefined;
    try {
      report?.(error === undefined ? undefined : ConnectError.from(error));
    } catch {
      // Best effort, as above.
    }
  };
}

/** Tells `observer` that the throttle refused a retry; never throws. */
export function observeThrottledRetry(observer: AttemptObserver | undefined, error: ConnectError): void {
  try {
    observer?.retryThrottled(error);
  } catch {
    // Best effort, as in observeAttempt.
  }
}
