/**
 * The public surface the Node and the browser entry of "userctl-rpc" share
 * (web-safe: no Node built-ins), one name at a time: everything here is for
 * applications. Each platform entry adds its own createTransport.
 */
export {
  AbortedError,
  AlreadyExistsError,
  CanceledError,
  DataLossError,
  DeadlineExceededError,
  DEFAULT_RETRYABLE_CODES,
  errorClassForCode,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  OutOfRangeError,
  PermissionDeniedError,
  readErrorInfo,
  readFieldViolations,
  readRetryDelayMs,
  ResourceExhaustedError,
  toTypedError,
  TypedConnectError,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
  UnknownError,
} from "./errors/index.js";
export type { ErrorInfoDetail, FieldViolation, ToTypedErrorOptions, TypedErrorInit } from "./errors/index.js";
export {
  attemptCountKey,
  createAuthInterceptor,
  createCorrelationInterceptor,
  createDeadlineInterceptor,
  createLoggingInterceptor,
  createRetryInterceptor,
  createTypedErrorInterceptor,
  DEFAULT_RETRY_CODES,
  retryableCallKey,
  timeoutMsKey,
} from "./interceptors/index.js";
export type {
  AuthInterceptorOptions,
  CorrelationInterceptorOptions,
  DeadlineInterceptorOptions,
  Logger,
  LoggingInterceptorOptions,
  LogLevel,
  RetryEvent,
  RetryOptions,
  TokenSource,
} from "./interceptors/index.js";
export type { Protocol, TimeoutOptions, TransportOptions } from "./transport/transport-options.js";
export { createHealthClient, ServingStatus } from "./client/health-client.js";
export type { HealthClient, HealthWatchOptions } from "./client/health-client.js";
export type { ClientTransport, ConnectivityState, EndpointStatus } from "./transport/client-transport.js";
