import type { Interceptor } from "@connectrpc/connect";
import { createAuthInterceptor, type AuthInterceptorOptions } from "../interceptors/auth-interceptor.js";
import { createCorrelationInterceptor } from "../interceptors/correlation-interceptor.js";
import { createDeadlineInterceptor } from "../interceptors/deadline-interceptor.js";
import { createLoggingInterceptor } from "../interceptors/logging-interceptor.js";
import { createRetryInterceptor } from "../interceptors/retry-interceptor.js";
import { createCallHeadersInterceptor } from "./call-headers-interceptor.js";
import type { ToTypedErrorOptions } from "../errors/to-typed-error.js";
import type { TransportOptions } from "./transport-options.js";

/** What the runtime adds: ambient deadline and correlation id on Node, a guard in browsers. */
export interface Ambient {
  deadline?: () => number | undefined;
  correlationId?: () => string | undefined;
  /**
   * Refuses calls the runtime cannot make, before anything else happens; it
   * runs inside logging, so its refusal is logged (and typed by the transport).
   */
  guard?: Interceptor;
  /** Runs innermost, right at the network, e.g. to classify fetch failures in browsers. */
  network?: Interceptor;
}

/**
 * The interceptors `createTransport` installs, outermost first:
 *
 * 1. telemetry, if given — one span and one duration for the whole call as
 *    the caller sees it, with a child span per retry attempt;
 * 2. logging — one line for the whole call, with its attempt count;
 *    then the runtime's guard, if any (browsers refuse request streams);
 * 3. call headers and correlation — one correlation id for all attempts;
 * 4. deadline — one deadline covers every attempt and every backoff sleep;
 * 5. retry — each attempt runs everything below it again;
 * 6. auth — each attempt asks for the current token, and a refreshed token
 *    replays the attempt once on UNAUTHENTICATED;
 * 7. your own `interceptors` — per attempt, seeing the final headers;
 * 8. the runtime's network interceptor, if any (browsers: fetch failures are UNAVAILABLE).
 *
 * Typed errors are not an interceptor here: createTypedErrorTransport wraps
 * the whole transport, which also catches the errors connect-es raises
 * outside every interceptor (deadline and abort), so one conversion covers all.
 */
export function createInterceptorStack(options: TransportOptions, ambient: Ambient = {}): Interceptor[] {
  const stack = createCallInterceptors(options);
  if (ambient.guard) stack.push(ambient.guard);
  if (options.headers !== undefined) stack.push(createCallHeadersInterceptor(options.headers));
  if (options.correlation !== false) {
    const correlation = typeof options.correlation === "object" ? options.correlation : {};
    stack.push(
      createCorrelationInterceptor({ ...(ambient.correlationId && { ambientCorrelationId: ambient.correlationId }), ...correlation }),
    );
  }
  if (options.timeouts !== false) {
    stack.push(createDeadlineInterceptor({ ...(ambient.deadline && { ambientDeadline: ambient.deadline }), ...options.timeouts }));
  }
  if (options.retry !== false) stack.push(createRetryInterceptor(options.retry ?? {}));
  if (options.auth !== undefined) {
    const auth: AuthInterceptorOptions =
      typeof options.auth === "string" || typeof options.auth === "function" ? { token: options.auth } : options.auth;
    stack.push(createAuthInterceptor(auth));
  }
  stack.push(...(options.interceptors ?? []));
  if (ambient.network) stack.push(ambient.network);
  return stack;
}

/**
 * The interceptors that see a whole call, outermost first: telemetry, then
 * logging. Our own gRPC transport on Node runs the built-in policies in its
 * call loop and only these around it (and `interceptors` per attempt).
 */
export function createCallInterceptors(options: TransportOptions): Interceptor[] {
  const stack: Interceptor[] = [];
  if (options.telemetry !== undefined) stack.push(options.telemetry);
  if (options.logging !== undefined) stack.push(options.logging);
  if (options.logger) {
    stack.push(createLoggingInterceptor({ logger: options.logger, ...(options.logLevel && { level: options.logLevel }) }));
  }
  return stack;
}

/** Typed errors flag as `retryable` the codes the transport's retry policy retries. */
export function typedErrorOptions(options: TransportOptions): ToTypedErrorOptions {
  return options.retry ? { retryableCodes: options.retry.retryableCodes } : {};
}
