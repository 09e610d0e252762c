import { ConnectError, type Code } from "@connectrpc/connect";
import { validateRetryableCodes } from "./retryable-codes.js";
import { errorClassForCode, type TypedConnectError } from "./typed-errors.js";

/** Options of toTypedError(); every field is optional. */
export interface ToTypedErrorOptions {
  /**
   * The codes whose errors get `retryable: true`; pass the same list as to
   * the retry interceptor when the client overrides it. Defaults to
   * DEFAULT_RETRYABLE_CODES (Unavailable, ResourceExhausted, Aborted).
   */
  retryableCodes?: readonly Code[] | undefined;
}

/**
 * Converts anything a call can throw into the typed error for its code,
 * following the rules of `ConnectError.from()`:
 * - a ConnectError (also one from another copy of @connectrpc/connect) keeps
 *   its code, `rawMessage`, metadata, details and `cause`;
 * - an `AbortError` or `TimeoutError` (a DOMException from an AbortSignal)
 *   becomes CanceledError, and unlike ConnectError.from() keeps it as `cause`;
 * - any other Error becomes UnknownError with its message, and is the `cause`;
 * - any other value becomes UnknownError with `String(value)` as the message,
 *   and is the `cause`.
 *
 * Idempotent: a typed error of the right class (from any copy of this
 * package) whose `retryable` agrees with `retryableCodes` is returned as is.
 * Throws a ConnectError only when `options.retryableCodes` is invalid.
 */
export function toTypedError(reason: unknown, options: ToTypedErrorOptions = {}): TypedConnectError {
  const retryableCodes = validateRetryableCodes(options.retryableCodes);
  const err = ConnectError.from(reason);
  const errorClass = errorClassForCode(err.code);
  const retryable = retryableCodes.includes(err.code);
  if (reason instanceof errorClass && reason.retryable === retryable) {
    return reason;
  }
  return new errorClass(err.rawMessage, {
    metadata: err.metadata,
    details: err.details,
    // ConnectError.from() wraps a non-Connect value; the value is the cause.
    cause: err === reason ? err.cause : reason,
    retryable,
  });
}
