/**
 * The browser entry (package.json "browser" and "default" conditions):
 * gRPC-Web over fetch by default, Connect on request; no Node built-ins.
 */
import type { Transport } from "@connectrpc/connect";
import { createUserClient as createUserClientOn } from "../client/user-client.js";
import type { UserClient } from "../client/user-client.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTransport } from "./create-transport.js";

export { createTransport };

/** Creates a UserService client on a Transport, or on options for `createTransport`. */
export function createUserClient(transportOrOptions: Transport | TransportOptions): UserClient {
  return createUserClientOn(transportOrOptions, createTransport);
}

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
} from "../errors/index.js";
export type { ErrorInfoDetail, FieldViolation, ToTypedErrorOptions, TypedErrorInit } from "../errors/index.js";
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
} from "../interceptors/index.js";
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
} from "../interceptors/index.js";
export type { Protocol, TimeoutOptions, TransportOptions } from "../transport/transport-options.js";
export type { BulkCreateResult, NewUserInput, ResumeOptions, UserCallOptions, UserChanges, UserClient } from "../client/index.js";
