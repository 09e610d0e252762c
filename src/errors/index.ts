/**
 * Typed errors: one ConnectError subclass per code, with the google.rpc rich
 * error details decoded, and the conversion from anything a call throws.
 */
export {
  TypedConnectError,
  CanceledError,
  UnknownError,
  InvalidArgumentError,
  DeadlineExceededError,
  NotFoundError,
  AlreadyExistsError,
  PermissionDeniedError,
  ResourceExhaustedError,
  FailedPreconditionError,
  AbortedError,
  OutOfRangeError,
  UnimplementedError,
  InternalError,
  UnavailableError,
  DataLossError,
  UnauthenticatedError,
  errorClassForCode,
} from "./typed-errors.js";
export type { TypedErrorInit, TypedErrorClass, ErrorClassForCode } from "./typed-errors.js";
export { toTypedError } from "./to-typed-error.js";
export type { ToTypedErrorOptions } from "./to-typed-error.js";
export { readFieldViolations, readRetryDelayMs, readErrorInfo } from "./error-details.js";
export type { FieldViolation, ErrorInfoDetail } from "./error-details.js";
export { DEFAULT_RETRYABLE_CODES, validateRetryableCodes } from "./retryable-codes.js";
