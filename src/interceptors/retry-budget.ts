import { Code, ConnectError } from "@connectrpc/connect";
import type { RetryClock } from "./backoff.js";
import { readTimeoutHeader, writeTimeoutHeader } from "./timeout-header.js";

/**
 * The time budget of one call across all its attempts and backoff sleeps.
 *
 * The deadline is read once, when the call enters the retry interceptor, from
 * the `grpc-timeout` or `connect-timeout-ms` header the transport wrote from
 * the call's `timeoutMs` (gRFC A6: "the call deadline applies across all
 * attempts"). Without either header the call has no deadline.
 */
export interface CallBudget {
  /** The call's timeout as read from its header, if any. */
  readonly timeoutMs: number | undefined;
  /** Milliseconds left before the deadline; Infinity without one. */
  remainingMs(): number;
  /**
   * The error that ends the call now, or undefined while it may go on:
   * Canceled (or the signal's ConnectError reason) when the caller's signal
   * aborted, DeadlineExceeded when the deadline has passed.
   */
  endedError(attempt: number): ConnectError | undefined;
  /** The DeadlineExceeded error for a deadline that passed during `attempt`. */
  deadlineError(attempt: number): ConnectError;
  /**
   * Starts the scope of one attempt: writes the time left into the timeout
   * header and returns a signal that aborts with the caller's signal or with
   * DeadlineExceeded at the deadline.
   */
  startAttempt(attempt: number, header: Headers): AttemptScope;
}

/** The lifetime of one attempt. */
export interface AttemptScope {
  /** The signal to hand to the transport for this attempt. */
  readonly signal: AbortSignal;
  /** Whether the call's deadline ended this attempt. */
  timedOut(): boolean;
  /**
   * Ends the attempt: stops its deadline timer and aborts its signal, which
   * cancels whatever the transport still holds for it. Idempotent.
   */
  end(): void;
}

/** Reads the call's deadline from its request and starts the budget. */
export function createCallBudget(callSignal: AbortSignal, header: Headers, clock: RetryClock): CallBudget {
  const timeoutMs = readTimeoutHeader(header);
  const deadline = timeoutMs === undefined ? undefined : clock.now() + timeoutMs;
  const remainingMs = () => (deadline === undefined ? Infinity : deadline - clock.now());
  const deadlineError = (attempt: number) =>
    new ConnectError(`deadline of ${timeoutMs}ms exceeded during attempt ${attempt}`, Code.DeadlineExceeded);
  return {
    timeoutMs,
    remainingMs,
    deadlineError,
    endedError(attempt) {
      if (callSignal.aborted) return callerAbortError(callSignal);
      return remainingMs() <= 0 ? deadlineError(attempt) : undefined;
    },
    startAttempt(attempt, attemptHeader) {
      const remaining = remainingMs();
      if (timeoutMs !== undefined) writeTimeoutHeader(attemptHeader, remaining);
      const controller = new AbortController();
      let timedOut = false;
      let timer: unknown;
      const onCallAbort = () => controller.abort(callSignal.reason);
      const end = () => {
        callSignal.removeEventListener("abort", onCallAbort);
        if (timer !== undefined) clock.clearTimeout(timer);
        if (!controller.signal.aborted) controller.abort(attemptEnded);
      };
      callSignal.addEventListener("abort", onCallAbort, { once: true });
      if (deadline !== undefined) {
        timer = clock.setTimeout(() => {
          timedOut = true;
          controller.abort(deadlineError(attempt));
        }, remaining);
      }
      return { signal: controller.signal, timedOut: () => timedOut, end };
    },
  };
}

/**
 * The reason an ended attempt's signal aborts with, so that nothing linked to
 * it outlives the attempt. One shared instance: a new error (and its stack) per
 * attempt was a measurable share of a small call's CPU.
 */
const attemptEnded = new ConnectError("retry attempt ended", Code.Canceled);

/**
 * The error for a call whose signal aborted. A ConnectError reason is kept
 * (the transport aborts with DeadlineExceeded at its deadline); anything
 * else, such as the AbortError of `controller.abort()`, becomes Canceled.
 * This is how Connect itself converts the reason.
 */
export function callerAbortError(signal: AbortSignal): ConnectError {
  return ConnectError.from(signal.reason, Code.Canceled);
}
