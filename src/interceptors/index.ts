/** Client interceptors, each usable alone with any Connect transport. */
export { createAuthInterceptor } from "./auth-interceptor.js";
export type { AuthInterceptorOptions } from "./auth-interceptor.js";
export type { TokenSource } from "./token-cache.js";
export { createRetryInterceptor, previousAttemptsHeader } from "./retry-interceptor.js";
export { DEFAULT_RETRY_CODES, MAX_ATTEMPTS_LIMIT } from "./retry-options.js";
export type { RetryEvent, RetryOptions } from "./retry-options.js";
export type { RetryClock } from "./backoff.js";
export { retryableCallKey } from "./retryable-call.js";
export { attemptCountKey } from "./attempt-count.js";
export { createDeadlineInterceptor, timeoutMsKey } from "./deadline-interceptor.js";
export type { DeadlineInterceptorOptions } from "./deadline-interceptor.js";
export { createLoggingInterceptor } from "./logging-interceptor.js";
export type { CallLogFields, Logger, LoggingInterceptorOptions, LogLevel } from "./logging-interceptor.js";
export { createCorrelationInterceptor, defaultCorrelationHeader } from "./correlation-interceptor.js";
export type { CorrelationInterceptorOptions } from "./correlation-interceptor.js";
export { createTypedErrorInterceptor } from "./typed-error-interceptor.js";
export type { TypedErrorInterceptorOptions } from "./typed-error-interceptor.js";
