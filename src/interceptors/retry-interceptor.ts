import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { attemptCountKey } from "./attempt-count.js";
import { attemptObserverKey, observeAttempt, observeThrottledRetry } from "./attempt-observer.js";
import { sleep } from "./backoff.js";
import { type AttemptScope, type CallBudget, callerAbortError, createCallBudget } from "./retry-budget.js";
import { type ResolvedRetryOptions, type RetryOptions, resolveRetryOptions } from "./retry-options.js";
import { countsAsFailure, initialRetryState, isRetryEligible, planRetry, type RetryPlan, type RetryState } from "./retry-plan.js";
import { createRetryThrottle, type RetryThrottle } from "./retry-throttle.js";

/** The request header of gRFC A6 that counts the attempts before this one. */
export const previousAttemptsHeader = "grpc-previous-rpc-attempts";

/**
 * Creates an interceptor that retries failed calls with the semantics of gRFC
 * A6 (https://github.com/grpc/proposal/blob/master/A6-client-retries.md).
 *
 * Which calls: unary and server-streaming calls of methods whose schema says
 * `NO_SIDE_EFFECTS` or `IDEMPOTENT`, of methods listed in `retryMethods`, and
 * single calls opted in with `retryableCallKey`, when an attempt fails with
 * one of `retryableCodes`. A server-streaming call is retried only until its
 * first response message arrives: the interceptor resolves once that message
 * (or the end of the stream) is there, and an error after it reaches the
 * caller. Client-streaming and bidi calls pass through untouched: their
 * request stream cannot be replayed.
 *
 * Transparent retries: an attempt the server provably never processed (see
 * `isUnprocessedError`) is retried for any method, the first time at once and
 * then with backoff, without charging the throttle. Unlike A6 they count
 * towards `maxAttempts`, so a server refusing every stream cannot loop a
 * call forever.
 *
 * Delays: the n-th retry waits a uniform random time in
 * [0, min(initialBackoffMs * backoffMultiplier^(n-1), maxBackoffMs)], unless
 * the server gives one: `grpc-retry-pushback-ms` (a negative or malformed value
 * stops retrying) or else a `google.rpc.RetryInfo` detail. A server-given
 * delay restarts the backoff sequence. Every delay is uncapped, but the call's
 * deadline covers all attempts and sleeps: when a delay would reach past it,
 * the call fails at once with DeadlineExceeded, whose cause is the last error.
 * A caller's abort ends the call at once with Canceled, during a sleep too.
 *
 * Each retry sends `grpc-previous-rpc-attempts`, the remaining time in the
 * timeout header, and sets `attemptCountKey` before it starts. When no retry
 * is left, the caller gets the last attempt's own ConnectError. An
 * `attemptObserverKey` observer (the telemetry interceptor) hears of every
 * attempt of the calls this interceptor runs, and of retries the throttle refuses.
 *
 * Order: interceptors listed before this one (outer) see one call; those
 * listed after it (inner) run once per attempt, so put authentication, which
 * may need a fresh token per attempt, after it.
 */
export function createRetryInterceptor(options?: RetryOptions): Interceptor {
  const config = resolveRetryOptions(options);
  const throttle = config.throttle === undefined ? undefined : createRetryThrottle(config.throttle);
  return (next) => async (req) => {
    if (!req.stream) {
      return retryCall(config, throttle, req, async (attemptReq, scope, ended) => {
        const res = await next(attemptReq);
        throttle?.recordSuccess();
        scope.end();
        ended();
        return res as UnaryResponse;
      });
    }
    if (req.method.methodKind !== "server_streaming") {
      return next(req);
    }
    // The single request message is buffered so every attempt can send it.
    const requestMessages: MessageShape<DescMessage>[] = [];
    for await (const message of req.message) requestMessages.push(message);
    return retryCall(config, throttle, req, async (attemptReq, scope, ended) => {
      const res = await next({
        ...attemptReq,
        message: iterate(requestMessages),
      });
      return firstMessageCommitted(res as StreamResponse, scope, (end) => {
        if (end.kind === "success") throttle?.recordSuccess();
        if (end.kind === "error" && countsAsFailure(config, ConnectError.from(end.error))) {
          throttle?.recordFailure();
        }
        ended(end.kind === "success" ? undefined : end.kind === "error" ? end.error : abandonedError());
      });
    });
  };
}

type AnyRequest = UnaryRequest | StreamRequest;

/**
 * Runs one attempt. `ended` reports its end to the call's attempt observer:
 * the attempt calls it when it succeeds (a server stream: when the stream
 * ends), retryCall when it fails.
 */
type Attempt<Req extends AnyRequest, Res> = (req: Req, scope: AttemptScope, ended: (error?: unknown) => void) => Promise<Res>;

/** Runs attempts until one succeeds, or no retry is allowed or left. */
async function retryCall<Req extends AnyRequest, Res>(
  config: ResolvedRetryOptions,
  throttle: RetryThrottle | undefined,
  req: Req,
  attemptOnce: Attempt<Req, Res>,
): Promise<Res> {
  const budget = createCallBudget(req.signal, req.header, config.clock);
  const eligible = isRetryEligible(config, req.method, req.contextValues);
  const observer = req.contextValues.get(attemptObserverKey);
  const state = initialRetryState();
  for (;;) {
    state.attempt++;
    const ended = budget.endedError(state.attempt);
    if (ended !== undefined) throw ended;
    const header = new Headers(req.header);
    if (state.attempt > 1) {
      header.set(previousAttemptsHeader, String(state.attempt - 1));
    }
    req.contextValues.set(attemptCountKey, state.attempt);
    const scope = budget.startAttempt(state.attempt, header);
    const attemptEnded = observeAttempt(observer, {
      attempt: state.attempt,
      delayMs: state.delayMs,
      transparent: state.transparent,
      header,
    });
    let error: ConnectError;
    try {
      const attemptReq: Req = { ...req, header, signal: scope.signal };
      return await attemptOnce(attemptReq, scope, attemptEnded);
    } catch (e) {
      scope.end();
      error = ConnectError.from(e);
      attemptEnded(error);
    }
    // The caller's abort and the deadline end the call whatever the attempt
    // failed with: its error is then most likely their echo.
    if (req.signal.aborted) throw callerAbortError(req.signal);
    if (scope.timedOut() || budget.remainingMs() <= 0) {
      throw error.code === Code.DeadlineExceeded ? error : budget.deadlineError(state.attempt);
    }
    const plan = planRetry(config, throttle, state, eligible, error);
    if (plan === "throttled") observeThrottledRetry(observer, error);
    if (plan === undefined || plan === "throttled") throw error;
    await waitForRetry(config, budget, req, state, error, plan);
    state.delayMs = plan.delayMs;
    state.transparent = plan.transparent;
  }
}

/**
 * Fails the call if the deadline would pass before the retry, else reports the
 * retry to `onRetry` and sleeps, ending the call at once if the caller aborts.
 */
async function waitForRetry(
  config: ResolvedRetryOptions,
  budget: CallBudget,
  req: AnyRequest,
  state: RetryState,
  error: ConnectError,
  plan: RetryPlan,
): Promise<void> {
  const remainingMs = budget.remainingMs();
  if (plan.delayMs >= remainingMs) {
    // The next attempt could only start at or after the deadline: fail now
    // rather than sleep into a certain DeadlineExceeded.
    const leftMs = Math.max(0, Math.round(remainingMs));
    throw new ConnectError(
      `deadline of ${budget.timeoutMs}ms would pass during the ${Math.round(plan.delayMs)}ms wait before attempt ${state.attempt + 1} (${leftMs}ms left)`,
      Code.DeadlineExceeded,
      undefined,
      undefined,
      error,
    );
  }
  config.onRetry?.({
    attempt: state.attempt + 1,
    maxAttempts: config.maxAttempts,
    error,
    delayMs: plan.delayMs,
    method: req.method,
    transparent: plan.transparent,
  });
  if (req.signal.aborted) throw callerAbortError(req.signal);
  if (plan.delayMs > 0) {
    try {
      await sleep(plan.delayMs, req.signal, config.clock);
    } catch {
      throw callerAbortError(req.signal);
    }
  }
}

/** How a committed server stream ended, for the throttle. */
type StreamEnd = { readonly kind: "success" } | { readonly kind: "error"; readonly error: unknown } | { readonly kind: "abandoned" };

/**
 * Waits for the first message of a server stream. An error before it ends the
 * attempt (its signal aborts, its stream is released) and rejects, so the call
 * can be retried. Once the first message is there the attempt is committed:
 * the returned response replays that message, then streams the rest, and
 * `onEnd` learns how the stream ended.
 */
async function firstMessageCommitted(res: StreamResponse, scope: AttemptScope, onEnd: (end: StreamEnd) => void): Promise<StreamResponse> {
  const it = res.message[Symbol.asyncIterator]();
  let first: IteratorResult<unknown>;
  try {
    first = await it.next();
  } catch (e) {
    scope.end();
    await it.return?.().catch(() => undefined);
    throw e;
  }
  let pending: IteratorResult<unknown> | undefined = first;
  let finished = false;
  const finish = (end: StreamEnd) => {
    if (finished) return;
    finished = true;
    scope.end();
    onEnd(end);
  };
  if (first.done === true) finish({ kind: "success" });
  const message: AsyncIterable<unknown> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (pending !== undefined) {
          const result = pending;
          pending = undefined;
          return result;
        }
        if (finished) return { done: true, value: undefined };
        try {
          const result = await it.next();
          if (result.done === true) finish({ kind: "success" });
          return result;
        } catch (error) {
          finish({ kind: "error", error });
          throw error;
        }
      },
      async return(value?: unknown) {
        // The caller stopped reading: cancel the stream. That is neither a
        // success nor a server failure, so the throttle does not hear of it.
        finish({ kind: "abandoned" });
        await it.return?.().catch(() => undefined);
        return { done: true, value };
      },
    }),
  };
  return { ...res, message } as StreamResponse;
}

/** How an attempt whose committed stream the caller stopped reading ends. */
function abandonedError(): ConnectError {
  return new ConnectError("stream abandoned by its reader", Code.Canceled);
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}
