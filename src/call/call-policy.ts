import type { Code } from "@connectrpc/connect";
import { DEFAULT_RETRYABLE_CODES } from "../errors/retryable-codes.js";
import { type ResolvedAuthOptions, validateAuthOptions, type AuthInterceptorOptions } from "../interceptors/auth-interceptor.js";
import { type RetryClock, systemClock } from "../interceptors/backoff.js";
import { validateCorrelationOptions } from "../interceptors/correlation-interceptor.js";
import { type ResolvedDeadlineOptions, validateDeadlineOptions } from "../interceptors/deadline-interceptor.js";
import { type ResolvedRetryOptions, resolveRetryOptions } from "../interceptors/retry-options.js";
import { createRetryThrottle, type RetryThrottle } from "../interceptors/retry-throttle.js";
import type { TransportOptions } from "../transport/transport-options.js";

/**
 * The built-in policies of a transport, resolved once when it is created:
 * the call loop reads plain values from here on every call instead of
 * running a stack of interceptors (see shared/design/call-path.md).
 */
export interface CallPolicy {
  /** Default deadlines per method kind and method, and the ambient deadline; undefined with `timeouts: false`. */
  readonly deadline: ResolvedDeadlineOptions | undefined;
  /** The retry policy (gRFC A6); undefined with `retry: false` (transparent retries still happen). */
  readonly retry: ResolvedRetryOptions | undefined;
  /** The retry throttle shared by every call of the transport. */
  readonly throttle: RetryThrottle | undefined;
  /** Bearer token, header and scheme; undefined without `auth`. */
  readonly auth: ResolvedAuthOptions | undefined;
  /** The correlation id header and its sources; undefined with `correlation: false`. */
  readonly correlation:
    | { readonly headerName: string; readonly ambient: (() => string | undefined) | undefined; readonly generateId: () => string }
    | undefined;
  /** `headers` sent on every call, names lower case; a call's own header wins. */
  readonly headers: readonly (readonly [string, string])[];
  /** The codes whose typed errors say `retryable: true`. */
  readonly retryableCodes: readonly Code[];
  /** The time source of deadlines and backoff sleeps (the retry option `clock`). */
  readonly clock: RetryClock;
}

/** What the runtime adds: the ambient deadline and correlation id on Node. */
export interface CallAmbient {
  readonly deadline?: () => number | undefined;
  readonly correlationId?: () => string | undefined;
}

/** Resolves the policy options of `createTransport`; throws InvalidArgument on a bad one. */
export function resolveCallPolicy(options: TransportOptions, ambient: CallAmbient = {}): CallPolicy {
  const retry = options.retry === false ? undefined : resolveRetryOptions(options.retry ?? {});
  const correlationOptions = typeof options.correlation === "object" ? options.correlation : {};
  const correlation =
    options.correlation === false
      ? undefined
      : validateCorrelationOptions({
          ...(ambient.correlationId && { ambientCorrelationId: ambient.correlationId }),
          ...correlationOptions,
        });
  const auth: AuthInterceptorOptions | undefined =
    options.auth === undefined
      ? undefined
      : typeof options.auth === "string" || typeof options.auth === "function"
        ? { token: options.auth }
        : options.auth;
  return {
    deadline:
      options.timeouts === false
        ? undefined
        : validateDeadlineOptions({ ...(ambient.deadline && { ambientDeadline: ambient.deadline }), ...options.timeouts }),
    retry,
    throttle: retry?.throttle === undefined ? undefined : createRetryThrottle(retry.throttle),
    auth: auth === undefined ? undefined : validateAuthOptions(auth),
    correlation:
      correlation === undefined
        ? undefined
        : { headerName: correlation.headerName, ambient: correlation.ambientCorrelationId, generateId: correlation.generateId },
    headers: options.headers === undefined ? [] : [...new Headers(options.headers)],
    retryableCodes: options.retry ? (options.retry.retryableCodes ?? DEFAULT_RETRYABLE_CODES) : DEFAULT_RETRYABLE_CODES,
    clock: retry?.clock ?? systemClock,
  };
}
