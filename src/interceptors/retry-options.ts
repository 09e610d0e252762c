import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DEFAULT_RETRYABLE_CODES, validateRetryableCodes } from "../errors/retryable-codes.js";
import { type RetryClock, systemClock } from "./backoff.js";
import type { RetryThrottleOptions } from "./retry-throttle.js";

/**
 * The codes retried by default: Unavailable, ResourceExhausted and Aborted.
 * Each says "try again later" rather than "this request is wrong". The same
 * list as the typed errors' `retryable` flag, so both agree.
 */
export const DEFAULT_RETRY_CODES: readonly Code[] = DEFAULT_RETRYABLE_CODES;

/** The largest `maxAttempts`; larger values are clamped to it. */
export const MAX_ATTEMPTS_LIMIT = 10;

/** What the `onRetry` hook learns before each retry. */
export interface RetryEvent {
  /** The number of the attempt about to start: 2 for the first retry. */
  readonly attempt: number;
  /** The resolved `maxAttempts`. */
  readonly maxAttempts: number;
  /** The error of the attempt that just failed. */
  readonly error: ConnectError;
  /** How long the interceptor waits before the attempt starts. */
  readonly delayMs: number;
  /** The method being called. */
  readonly method: DescMethod;
  /** Whether this is a transparent retry of a call the server never saw. */
  readonly transparent: boolean;
}

/** Options of `createRetryInterceptor`. */
export interface RetryOptions {
  /**
   * The most attempts per call, the first one included, like `maxAttempts`
   * of the gRFC A6 retry policy. Values above 10 (Infinity too) are clamped
   * to 10; 1 disables retries, transparent ones included. Defaults to 4.
   */
  maxAttempts?: number;
  /** The backoff ceiling of the first retry (gRFC A6). Defaults to 100. */
  initialBackoffMs?: number;
  /** The largest backoff ceiling (gRFC A6). Defaults to 10 000. */
  maxBackoffMs?: number;
  /** Growth of the backoff ceiling per retry (gRFC A6). Defaults to 2. */
  backoffMultiplier?: number;
  /**
   * The codes that make a failed attempt worth retrying, like A6
   * `retryableStatusCodes`. Defaults to `DEFAULT_RETRY_CODES`: Unavailable,
   * ResourceExhausted and Aborted.
   */
  retryableCodes?: readonly Code[];
  /**
   * Methods to retry although their schema does not declare them
   * `NO_SIDE_EFFECTS` or `IDEMPOTENT`. Each entry is a method descriptor
   * (`UserService.method.createUser`) or a string naming the fully qualified
   * service and the method's proto name: `"/user.v1.UserService/CreateUser"`
   * (the request path), `"user.v1.UserService/CreateUser"` or
   * `"user.v1.UserService.CreateUser"`. A bare `"CreateUser"` is rejected.
   * Defaults to none.
   */
  retryMethods?: readonly (string | DescMethod)[];
  /**
   * Whether retries are throttled by a token bucket shared by every call
   * through this interceptor (gRFC A6 `retryThrottling`). Defaults to true.
   */
  throttle?: boolean;
  /** The size of the throttle's bucket (A6 `maxTokens`). Defaults to 10. */
  maxTokens?: number;
  /** The tokens a success earns (A6 `tokenRatio`). Defaults to 0.1. */
  tokenRatio?: number;
  /**
   * Called before the interceptor waits for each retry, with the attempt
   * about to start. An error it throws ends the call. Defaults to none.
   */
  onRetry?: (event: RetryEvent) => void;
  /**
   * The jitter source, returning a number in [0, 1). Defaults to
   * `Math.random`.
   */
  random?: () => number;
  /**
   * The time source for backoff sleeps and the call's deadline. Defaults to
   * `performance.now()` and the global timers.
   */
  clock?: RetryClock;
}

/** The options with every default applied, in the form the interceptor uses. */
export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly retryableCodes: ReadonlySet<Code>;
  /** Method keys as in `methodKey()`. */
  readonly retryMethods: ReadonlySet<string>;
  readonly throttle: RetryThrottleOptions | undefined;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly random: () => number;
  readonly clock: RetryClock;
}

/**
 * Applies the defaults and rejects bad values with an InvalidArgument
 * ConnectError that names the option.
 */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const maxAttempts = options.maxAttempts ?? 4;
  if (!(Number.isInteger(maxAttempts) || maxAttempts === Infinity) || maxAttempts < 1) {
    throw invalid("maxAttempts", "an integer of at least 1", maxAttempts);
  }
  const throttle = options.throttle ?? true;
  return {
    maxAttempts: Math.min(maxAttempts, MAX_ATTEMPTS_LIMIT),
    initialBackoffMs: positive("initialBackoffMs", options.initialBackoffMs, 100),
    maxBackoffMs: positive("maxBackoffMs", options.maxBackoffMs, 10_000),
    backoffMultiplier: positive("backoffMultiplier", options.backoffMultiplier, 2),
    retryableCodes: new Set(validateRetryableCodes(options.retryableCodes)),
    retryMethods: new Set((options.retryMethods ?? []).map(resolveMethod)),
    throttle: throttle
      ? {
          maxTokens: positive("maxTokens", options.maxTokens, 10),
          tokenRatio: resolveTokenRatio(options.tokenRatio),
        }
      : undefined,
    onRetry: options.onRetry,
    random: options.random ?? Math.random,
    clock: options.clock ?? systemClock,
  };
}

/** A method's key in `retryMethods`: `"user.v1.UserService/CreateUser"`. */
export function methodKey(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) {
    throw invalid(name, "a finite number above 0", resolved);
  }
  return resolved;
}

function resolveTokenRatio(value: number | undefined): number {
  const ratio = positive("tokenRatio", value, 0.1);
  // The bucket counts thousandths of a token, as A6 allows three decimals.
  if (Math.round(ratio * 1000) < 1) {
    throw invalid("tokenRatio", "at least 0.001", ratio);
  }
  return ratio;
}

// "/pkg.Service/Method", "pkg.Service/Method" or "pkg.Service.Method".
const slashForm = /^\/?([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/;
const dotForm = /^([A-Za-z_][\w.]*)\.([A-Za-z_]\w*)$/;

function resolveMethod(entry: string | DescMethod): string {
  if (typeof entry !== "string") return methodKey(entry);
  const match = slashForm.exec(entry) ?? dotForm.exec(entry);
  if (match === null) {
    throw new ConnectError(
      `invalid retry option retryMethods: "${entry}" must name the fully qualified service and the method, e.g. "user.v1.UserService/CreateUser"`,
      Code.InvalidArgument,
    );
  }
  return `${match[1]}/${match[2]}`;
}

function invalid(name: string, expected: string, value: unknown) {
  return new ConnectError(`invalid retry option ${name}: expected ${expected}, got ${String(value)}`, Code.InvalidArgument);
}
