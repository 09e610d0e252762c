/**
 * One subclass of ConnectError per code, so callers can write
 * `if (e instanceof NotFoundError)` and read the decoded rich details
 * (`fieldViolations`, `retryDelayMs`, `errorInfo`) without protobuf code.
 *
 * ```ts
 * try {
 *   await client.createUser(req);
 * } catch (e) {
 *   if (e instanceof InvalidArgumentError) showFieldErrors(e.fieldViolations);
 *   else throw e;
 * }
 * ```
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { readErrorInfo, readFieldViolations, readRetryDelayMs, type ErrorInfoDetail, type FieldViolation } from "./error-details.js";
import { DEFAULT_RETRYABLE_CODES, isCode } from "./retryable-codes.js";

/**
 * Holds the code of a typed error. Symbol.for() gives every copy of this
 * module the same key, so `instanceof` matches an error made by another copy
 * of the package (the dual package hazard).
 */
const typedErrorBrand = Symbol.for("userctl-rpc.TypedConnectError.code");

/** How to build a typed error besides its message; every field is optional. */
export interface TypedErrorInit {
  /** Headers and trailers of the error response. Defaults to none. */
  metadata?: HeadersInit | undefined;
  /**
   * Rich error details, either to send (`{ desc, value }`) or as received
   * (`{ type, value }`). Defaults to none.
   */
  details?: ConnectError["details"] | undefined;
  /** The error or value that caused this one. Defaults to undefined. */
  cause?: unknown;
  /**
   * Whether the default retry policy would retry this error. Defaults to
   * whether DEFAULT_RETRYABLE_CODES includes the code.
   */
  retryable?: boolean | undefined;
}

/**
 * The base of the typed errors: a ConnectError with its rich details decoded.
 * `e instanceof TypedConnectError` is true for every typed error, from any copy
 * of this package, and `e instanceof ConnectError` stays true.
 *
 * `name` stays "ConnectError" on purpose: connect-es recognises a ConnectError
 * from another copy of @connectrpc/connect by `name === "ConnectError"`, and
 * its transports pass every error through `ConnectError.from()`, which would
 * re-wrap a differently named subclass as code Unknown. The class name still
 * shows in logs (Node prints `NotFoundError [ConnectError]: ...`) and on
 * `e.constructor.name`.
 */
export abstract class TypedConnectError extends ConnectError {
  /** Invalid request fields from google.rpc.BadRequest details; empty when none. */
  readonly fieldViolations: readonly FieldViolation[];
  /** How long the server asks to wait before a retry, from google.rpc.RetryInfo. */
  readonly retryDelayMs: number | undefined;
  /** Machine-readable reason from google.rpc.ErrorInfo. */
  readonly errorInfo: ErrorInfoDetail | undefined;
  /**
   * Whether the retry policy would retry this code (it still retries only
   * idempotent methods). See DEFAULT_RETRYABLE_CODES.
   */
  readonly retryable: boolean;

  protected constructor(message: string, code: Code, init: TypedErrorInit = {}) {
    super(message, code, init.metadata, undefined, init.cause);
    // The constructor of ConnectError only takes outgoing details; a typed
    // error made from a received error carries incoming ones.
    if (init.details !== undefined) this.details = [...init.details];
    Object.defineProperty(this, typedErrorBrand, { value: code });
    this.fieldViolations = readFieldViolations(this);
    this.retryDelayMs = readRetryDelayMs(this);
    this.errorInfo = readErrorInfo(this);
    this.retryable = init.retryable ?? DEFAULT_RETRYABLE_CODES.includes(code);
  }

  /**
   * Matches by the brand rather than the prototype chain, so an error made by
   * another copy of this module matches too. `TypedConnectError` matches any
   * typed error; `NotFoundError` only those with code NotFound.
   */
  // `this` is the class on the right of `instanceof`, the subclass: biome.jsonc lets this file use it.
  static override [Symbol.hasInstance](value: unknown): boolean {
    const code = brandedCode(value);
    if (code === undefined) return false;
    if (this === TypedConnectError) return true;
    const ownCode = codeByClass.get(this);
    if (ownCode !== undefined) return code === ownCode;
    // A user's subclass of one of ours: two copies of it are not expected.
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** Canceled: the operation was cancelled, usually by the caller. */
export class CanceledError extends TypedConnectError {
  declare readonly code: Code.Canceled;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Canceled, init);
  }
}

/** Unknown: an error without a more specific code, e.g. a thrown non-Connect error. */
export class UnknownError extends TypedConnectError {
  declare readonly code: Code.Unknown;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Unknown, init);
  }
}

/** InvalidArgument: the request is invalid regardless of system state; see `fieldViolations`. */
export class InvalidArgumentError extends TypedConnectError {
  declare readonly code: Code.InvalidArgument;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.InvalidArgument, init);
  }
}

/** DeadlineExceeded: the deadline expired; the operation may or may not have completed. */
export class DeadlineExceededError extends TypedConnectError {
  declare readonly code: Code.DeadlineExceeded;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.DeadlineExceeded, init);
  }
}

/** NotFound: the requested entity, such as a user, does not exist. */
export class NotFoundError extends TypedConnectError {
  declare readonly code: Code.NotFound;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.NotFound, init);
  }
}

/** AlreadyExists: the entity the request tried to create already exists. */
export class AlreadyExistsError extends TypedConnectError {
  declare readonly code: Code.AlreadyExists;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.AlreadyExists, init);
  }
}

/** PermissionDenied: the caller is known but may not perform the operation. */
export class PermissionDeniedError extends TypedConnectError {
  declare readonly code: Code.PermissionDenied;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.PermissionDenied, init);
  }
}

/** ResourceExhausted: a quota or rate limit ran out; see `retryDelayMs`. */
export class ResourceExhaustedError extends TypedConnectError {
  declare readonly code: Code.ResourceExhausted;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.ResourceExhausted, init);
  }
}

/** FailedPrecondition: the system is not in a state the operation requires. */
export class FailedPreconditionError extends TypedConnectError {
  declare readonly code: Code.FailedPrecondition;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.FailedPrecondition, init);
  }
}

/** Aborted: the operation lost a conflict, e.g. a concurrent update; retry at a higher level. */
export class AbortedError extends TypedConnectError {
  declare readonly code: Code.Aborted;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Aborted, init);
  }
}

/** OutOfRange: a value, such as a page offset, is past the valid range. */
export class OutOfRangeError extends TypedConnectError {
  declare readonly code: Code.OutOfRange;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.OutOfRange, init);
  }
}

/** Unimplemented: the server does not implement or has disabled the method. */
export class UnimplementedError extends TypedConnectError {
  declare readonly code: Code.Unimplemented;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Unimplemented, init);
  }
}

/** Internal: an invariant broke on the server or in the client; a serious error. */
export class InternalError extends TypedConnectError {
  declare readonly code: Code.Internal;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Internal, init);
  }
}

/** Unavailable: the service is down or unreachable for now; back off and retry. */
export class UnavailableError extends TypedConnectError {
  declare readonly code: Code.Unavailable;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Unavailable, init);
  }
}

/** DataLoss: unrecoverable data loss or corruption. */
export class DataLossError extends TypedConnectError {
  declare readonly code: Code.DataLoss;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.DataLoss, init);
  }
}

/** Unauthenticated: the request has no valid credentials. */
export class UnauthenticatedError extends TypedConnectError {
  declare readonly code: Code.Unauthenticated;
  constructor(message: string, init?: TypedErrorInit) {
    super(message, Code.Unauthenticated, init);
  }
}

const errorClasses = {
  [Code.Canceled]: CanceledError,
  [Code.Unknown]: UnknownError,
  [Code.InvalidArgument]: InvalidArgumentError,
  [Code.DeadlineExceeded]: DeadlineExceededError,
  [Code.NotFound]: NotFoundError,
  [Code.AlreadyExists]: AlreadyExistsError,
  [Code.PermissionDenied]: PermissionDeniedError,
  [Code.ResourceExhausted]: ResourceExhaustedError,
  [Code.FailedPrecondition]: FailedPreconditionError,
  [Code.Aborted]: AbortedError,
  [Code.OutOfRange]: OutOfRangeError,
  [Code.Unimplemented]: UnimplementedError,
  [Code.Internal]: InternalError,
  [Code.Unavailable]: UnavailableError,
  [Code.DataLoss]: DataLossError,
  [Code.Unauthenticated]: UnauthenticatedError,
} as const satisfies Record<Code, TypedErrorClass>;

const codeByClass = new Map<unknown, Code>(Object.entries(errorClasses).map(([code, errorClass]) => [errorClass, Number(code) as Code]));

/** The constructor of a typed error. */
export type TypedErrorClass = new (message: string, init?: TypedErrorInit) => TypedConnectError;

/** The typed error class for code `C`, e.g. `typeof NotFoundError` for Code.NotFound. */
export type ErrorClassForCode<C extends Code> = (typeof errorClasses)[C];

/**
 * The typed error class for `code`. A number outside the Code enum gets
 * UnknownError, as gRPC clients treat a status code they do not know.
 */
export function errorClassForCode<C extends Code>(code: C): ErrorClassForCode<C> {
  return isCode(code) ? errorClasses[code] : (UnknownError as ErrorClassForCode<C>);
}

/** The code a typed error (from any copy of this module) carries, or undefined. */
function brandedCode(value: unknown): Code | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const code: unknown = (value as { [typedErrorBrand]?: unknown })[typedErrorBrand];
  return isCode(code) ? code : undefined;
}
