import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { isClientLimitError } from "../errors/client-limit-error.js";
import { attemptCountKey } from "../interceptors/attempt-count.js";
import { attemptObserverKey, observeAttempt, observeThrottledRetry } from "../interceptors/attempt-observer.js";
import { isUnauthenticated } from "../interceptors/auth-interceptor.js";
import { backoffDelayMs } from "../interceptors/backoff.js";
import { initialRetryState, isRetryEligible, planRetry } from "../interceptors/retry-plan.js";
import { encodeGrpcTimeout } from "../interceptors/timeout-header.js";
import type { CachedToken } from "../interceptors/token-cache.js";
import { isUnprocessedError } from "../interceptors/unprocessed-error.js";
import type { CallPolicy } from "./call-policy.js";
import { deadlineError } from "./call-timeout.js";
import type { GrpcCall } from "./grpc-call.js";

/** What a runtime tells the call loop about its request header objects and its failures. */
export interface AttemptRunnerSettings<F> {
  readonly policy: CallPolicy;
  /** The attempt's fields as `Headers`, for an attempt observer (telemetry). */
  toHeaders(fields: F): Headers;
  /** The fields of `headers` after an observer changed them, keeping what `base` holds that Headers cannot (pseudo-headers). */
  fromHeaders(headers: Headers, base: F): F;
  /**
   * Whether a failed attempt is sent again at once (gRFC A6 transparent
   * retry: the server never saw it). `retryable` is false for request
   * streams, which may only be resent if they never opened. Defaults to never.
   */
  transparent?(error: ConnectError, retryable: boolean): boolean;
}

/**
 * The call loop: attempts until one succeeds or no retry is allowed. `send`
 * runs one attempt with its final headers. `retryable` is false for client
 * and bidi streams, whose request messages cannot be sent twice.
 */
export type RunAttempts<F> = <R>(
  call: GrpcCall,
  method: DescMethod,
  contextValues: ContextValues,
  base: F,
  retryable: boolean,
  send: (fields: F, attempt: number) => Promise<R>,
) => Promise<R>;

/**
 * The most transparent retries of one call (gRFC A6). The bound keeps a
 * server that refuses everything from looping a call.
 */
const maxTransparentRetries = 8;
const transparentBackoff = { initialBackoffMs: 10, maxBackoffMs: 1_000, backoffMultiplier: 2 };

/**
 * The built-in policies of one transport as a call loop, runtime-neutral:
 * retries (gRFC A6, with the throttle and server pushback), auth (a cached
 * token read synchronously, one replay after a refresh on UNAUTHENTICATED),
 * `grpc-timeout` from the one deadline of the call, attempt observers. The
 * header object `F` is the runtime's own (Node's header object, a record for
 * fetch); the loop only sets string fields on it.
 */
export function createAttemptRunner<F extends object>(settings: AttemptRunnerSettings<F>): RunAttempts<F> {
  const { policy } = settings;
  const transparentOk = settings.transparent ?? (() => false);
  // The authorization value of the cached token, built once per token.
  let authToken: CachedToken | undefined;
  let authValue = "";
  return async function runAttempts<R>(
    call: GrpcCall,
    method: DescMethod,
    contextValues: ContextValues,
    base: F,
    retryable: boolean,
    send: (fields: F, attempt: number) => Promise<R>,
  ): Promise<R> {
    const retry = policy.retry;
    const eligible = retryable && retry !== undefined && isRetryEligible(retry, method, contextValues);
    // Without retries of either kind a call is its own single attempt, as
    // with the retry interceptor: nothing to observe per attempt.
    const observer = retry === undefined && settings.transparent === undefined ? undefined : contextValues.get(attemptObserverKey);
    const state = initialRetryState();
    let attempt = 0;
    let transparentLeft = maxTransparentRetries;
    let transparentRetries = 0;
    let authReplayed = false;
    let delayMs = 0;
    let transparent = false;
    let replay = false;
    for (;;) {
      if (!replay) {
        attempt++;
        if (!transparent) state.attempt++;
      }
      replay = false;
      if (call.ended !== undefined) throw call.ended;
      if (call.remainingMs() <= 0) throw deadlineError(call, attempt);
      // Object.assign, not a spread: V8 copies a spread copy's map again for
      // every field added after it (see node-headers.ts copyFields).
      let fields = attempt === 1 ? base : (Object.assign({}, base) as F);
      const set = fields as Record<string, string>;
      if (attempt > 1) set["grpc-previous-rpc-attempts"] = String(attempt - 1);
      let token: CachedToken | undefined;
      if (policy.auth !== undefined) {
        token = policy.auth.cache.peek() ?? (await call.wait(policy.auth.cache.get()));
        if (token !== authToken) {
          authToken = token;
          authValue = policy.auth.scheme === "" ? token.token : `${policy.auth.scheme} ${token.token}`;
        }
        set[policy.auth.headerName] = authValue;
      }
      // The time left is read after a token refresh may have waited, so the
      // server is never told more time than the call has.
      if (call.timeoutMs !== undefined) {
        const left = call.remainingMs();
        if (left <= 0) throw deadlineError(call, attempt);
        set["grpc-timeout"] = encodeGrpcTimeout(left);
      }
      if (attempt > 1 || observer !== undefined) contextValues.set(attemptCountKey, attempt);
      let ended: (error?: unknown) => void = noop;
      if (observer !== undefined) {
        const header = settings.toHeaders(fields);
        ended = observeAttempt(observer, { attempt, delayMs, transparent, header });
        fields = settings.fromHeaders(header, fields);
      }
      let error: ConnectError;
      try {
        const result = await send(fields, attempt);
        policy.throttle?.recordSuccess();
        ended();
        return result;
      } catch (e) {
        error = ConnectError.from(e);
        ended(error);
      }
      if (call.ended !== undefined) throw call.ended;
      if (call.remainingMs() <= 0) throw error.code === Code.DeadlineExceeded ? error : deadlineError(call, attempt, error);
      // Our own size limits give the same answer every time: never retried,
      // although RESOURCE_EXHAUSTED is a retryable code (issue 13 item 5).
      if (isClientLimitError(error)) throw error;
      if (token !== undefined && isUnauthenticated(error)) {
        const auth = policy.auth!;
        auth.cache.invalidate(token);
        // A refreshed token replays the attempt once, for calls that can be replayed.
        if (retryable && auth.cache.refreshable && !authReplayed) {
          authReplayed = true;
          await call.wait(auth.cache.refresh(token));
          replay = true;
          continue;
        }
      }
      // A6 transparent retry: sent again for any method and whatever the
      // retry policy, without counting towards maxAttempts.
      if (isUnprocessedError(error) && transparentOk(error, retryable) && transparentLeft > 0) {
        transparentLeft--;
        delayMs = transparentRetries === 0 ? 0 : backoffDelayMs(transparentRetries, transparentBackoff, retry?.random ?? Math.random);
        transparentRetries++;
        transparent = true;
        if (delayMs >= call.remainingMs()) throw error;
        if (delayMs > 0) await call.sleep(delayMs);
        continue;
      }
      if (retry === undefined || !retryable) throw error;
      const plan = planRetry(retry, policy.throttle, state, eligible, error);
      if (plan === "throttled") observeThrottledRetry(observer, error);
      if (plan === undefined || plan === "throttled") throw error;
      const left = call.remainingMs();
      if (plan.delayMs >= left) {
        throw new ConnectError(
          `deadline of ${call.timeoutMs}ms would pass during the ${Math.round(plan.delayMs)}ms wait before attempt ${attempt + 1} (${Math.max(0, Math.round(left))}ms left)`,
          Code.DeadlineExceeded,
          undefined,
          undefined,
          error,
        );
      }
      retry.onRetry?.({
        attempt: attempt + 1,
        maxAttempts: retry.maxAttempts,
        error,
        delayMs: plan.delayMs,
        method,
        transparent: plan.transparent,
      });
      if (call.ended !== undefined) throw call.ended;
      if (plan.delayMs > 0) await call.sleep(plan.delayMs);
      delayMs = plan.delayMs;
      transparent = false;
    }
  };
}

function noop(): void {}
