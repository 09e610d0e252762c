import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextKey, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { readTimeoutHeader, writeTimeoutHeader } from "./timeout-header.js";

/**
 * A per-call timeout in milliseconds, for clients that prefer a context value
 * to the `timeoutMs` call option:
 * `client.getUser(req, { contextValues: createContextValues().set(timeoutMsKey, 500) })`.
 * Like `timeoutMs`, it wins over the configured default. 0 fails the call at once.
 */
export const timeoutMsKey = createContextKey<number | undefined>(undefined, {
  description: "timeout in milliseconds for this call",
});

/**
 * Options for {@link createDeadlineInterceptor}. The defaults follow the
 * spirit of gRPC's per-method timeout config (gRFC A6 `timeout`): reads fail
 * fast, writes get longer, open-ended streams get none. `null` means "no
 * default timeout".
 */
export interface DeadlineInterceptorOptions {
  /** Timeout for unary methods marked `idempotency_level = NO_SIDE_EFFECTS`. Defaults to 5 seconds. */
  noSideEffectsUnaryTimeoutMs?: number | null;
  /** Timeout for every other unary method. Defaults to 30 seconds. */
  unaryTimeoutMs?: number | null;
  /** Timeout for client-streaming methods. Defaults to 120 seconds. */
  clientStreamingTimeoutMs?: number | null;
  /** Timeout for server-streaming methods. Defaults to none. */
  serverStreamingTimeoutMs?: number | null;
  /** Timeout for bidi-streaming methods. Defaults to none. */
  bidiStreamingTimeoutMs?: number | null;
  /**
   * Timeouts by method, which win over the kind defaults. Keys are
   * `"<package>.<Service>/<Method>"` (e.g. `"user.v1.UserService/GetUser"`) or
   * `"<package>.<Service>"` for every method of a service; a method key wins
   * over its service key. Defaults to none.
   */
  methods?: Readonly<Record<string, number | null>>;
  /**
   * Returns the deadline (epoch milliseconds) of the work this call is part of,
   * e.g. the server call a handler is serving; outgoing calls get no more than
   * what is left of it. On Node pass `nodeAmbientDeadline` from
   * `src/node/ambient-context.ts`. Defaults to none.
   */
  ambientDeadline?: () => number | undefined;
  /** Clock in epoch milliseconds, injectable for tests. Defaults to `Date.now`. */
  now?: () => number;
}

const defaults = Object.freeze({
  noSideEffectsUnaryTimeoutMs: 5_000,
  unaryTimeoutMs: 30_000,
  clientStreamingTimeoutMs: 120_000,
  serverStreamingTimeoutMs: null,
  bidiStreamingTimeoutMs: null,
});

const methodKeyPattern = /^[A-Za-z_][\w.]*(\/[A-Za-z_]\w*)?$/;

/** The deadline options with every default applied. */
export interface ResolvedDeadlineOptions {
  readonly noSideEffectsUnaryTimeoutMs: number | null;
  readonly unaryTimeoutMs: number | null;
  readonly clientStreamingTimeoutMs: number | null;
  readonly serverStreamingTimeoutMs: number | null;
  readonly bidiStreamingTimeoutMs: number | null;
  readonly methods: ReadonlyMap<string, number | null>;
  readonly ambientDeadline: (() => number | undefined) | undefined;
  readonly now: () => number;
}

/**
 * Creates an interceptor that gives every call a deadline: the caller's own
 * timeout (the `timeoutMs` call option, which the transport has already
 * written as a `grpc-timeout`/`connect-timeout-ms` header, or
 * {@link timeoutMsKey}), else the configured default for the method, capped
 * by what is left of the ambient deadline. It writes the header for the
 * request's protocol and aborts the call at the deadline with
 * `DeadlineExceeded`; an already expired ambient deadline fails the call
 * without touching the network.
 *
 * Place it outside the retry and auth interceptors (earlier in the array) so
 * that the deadline covers every attempt and token fetch.
 */
export function createDeadlineInterceptor(options: DeadlineInterceptorOptions = {}): Interceptor {
  const opt = validateDeadlineOptions(options);
  return (next) => async (req) => {
    const methodName = `${req.service.typeName}/${req.method.name}`;
    const now = opt.now();
    const ownTimeoutMs = callerTimeoutMs(req.header, req.contextValues.get(timeoutMsKey), methodName) ?? defaultTimeoutMs(opt, req.method);
    const ambientAt = opt.ambientDeadline?.();
    const ambientLeftMs = ambientAt !== undefined && Number.isFinite(ambientAt) ? ambientAt - now : undefined;
    if (ambientLeftMs !== undefined && ambientLeftMs <= 0) {
      throw new ConnectError(
        `deadline exceeded before calling ${methodName}: the ambient deadline passed ${Math.round(-ambientLeftMs)} ms ago`,
        Code.DeadlineExceeded,
      );
    }
    const timeoutMs = minDefined(ownTimeoutMs, ambientLeftMs);
    if (timeoutMs === undefined) {
      return await next(req);
    }
    // Made only when needed: building an error (and its stack) on every call
    // was a measurable share of a small call's CPU (npm run bench -- --profile).
    let deadlineError: ConnectError | undefined;
    const expired = () =>
      (deadlineError ??= new ConnectError(
        `deadline exceeded after ${Math.round(timeoutMs)} ms calling ${methodName}`,
        Code.DeadlineExceeded,
      ));
    if (timeoutMs <= 0) {
      throw expired();
    }
    writeTimeoutHeader(req.header, timeoutMs);
    const deadlineAt = now + timeoutMs;
    const deadline = startDeadline(req.signal, timeoutMs, expired);
    // Whatever error surfaces once the deadline has passed (a cancellation or
    // reset racing the timer) is reported as the deadline it really is.
    const toCallError = (e: unknown): unknown => (deadline.fired() || opt.now() >= deadlineAt ? expired() : e);
    const attempt = { ...req, signal: deadline.signal };
    if (!req.stream) {
      try {
        return await next(attempt);
      } catch (e) {
        throw toCallError(e);
      } finally {
        deadline.clear();
      }
    }
    let res: StreamResponse;
    try {
      res = (await next(attempt)) as StreamResponse;
    } catch (e) {
      deadline.clear();
      throw toCallError(e);
    }
    return { ...res, message: onStreamEnd(res.message, deadline.clear, toCallError) };
  };
}

interface Deadline {
  readonly signal: AbortSignal;
  fired(): boolean;
  clear(): void;
}

// A signal that follows the call's signal and also aborts at the deadline.
// `clear` stops the timer and unlinks, so nothing outlives the call.
function startDeadline(callSignal: AbortSignal, timeoutMs: number, reason: () => ConnectError): Deadline {
  const controller = new AbortController();
  let fired = false;
  const onCallAbort = () => {
    clear();
    controller.abort(callSignal.reason);
  };
  const timer = setTimeout(() => {
    fired = true;
    callSignal.removeEventListener("abort", onCallAbort);
    controller.abort(reason());
  }, timeoutMs);
  function clear() {
    clearTimeout(timer);
    callSignal.removeEventListener("abort", onCallAbort);
  }
  if (callSignal.aborted) {
    onCallAbort();
  } else {
    callSignal.addEventListener("abort", onCallAbort);
  }
  return { signal: controller.signal, fired: () => fired, clear };
}

// Wraps a response stream so that `onEnd` runs when it ends, fails or is
// closed by the consumer, and errors pass through `mapError`.
function onStreamEnd<T>(iterable: AsyncIterable<T>, onEnd: () => void, mapError: (e: unknown) => unknown): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = iterable[Symbol.asyncIterator]();
      return {
        next: async () => {
          try {
            const result = await it.next();
            if (result.done === true) onEnd();
            return result;
          } catch (e) {
            onEnd();
            throw mapError(e);
          }
        },
        return: async (value?: unknown) => {
          onEnd();
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

// The caller's own timeout: the transport's header and/or the context key;
// when both are set, the smaller wins.
function callerTimeoutMs(header: Headers, fromKey: number | undefined, methodName: string): number | undefined {
  if (fromKey !== undefined && !(Number.isFinite(fromKey) && fromKey >= 0)) {
    throw new ConnectError(
      `invalid timeoutMsKey value ${String(fromKey)} for ${methodName}: must be a finite number >= 0`,
      Code.InvalidArgument,
    );
  }
  return minDefined(readTimeoutHeader(header), fromKey);
}

/** The configured default timeout of a method, or undefined for none. */
export function defaultTimeoutMs(opt: ResolvedDeadlineOptions, method: DescMethod): number | undefined {
  // A method or service set to null has no timeout, so look keys up with
  // has() rather than falling through on null.
  for (const key of [`${method.parent.typeName}/${method.name}`, method.parent.typeName]) {
    if (opt.methods.has(key)) return opt.methods.get(key) ?? undefined;
  }
  switch (method.methodKind) {
    case "unary":
      return (
        (method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ? opt.noSideEffectsUnaryTimeoutMs : opt.unaryTimeoutMs) ??
        undefined
      );
    case "client_streaming":
      return opt.clientStreamingTimeoutMs ?? undefined;
    case "server_streaming":
      return opt.serverStreamingTimeoutMs ?? undefined;
    case "bidi_streaming":
      return opt.bidiStreamingTimeoutMs ?? undefined;
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Applies the defaults and rejects bad values with an InvalidArgument error naming the option. */
export function validateDeadlineOptions(options: DeadlineInterceptorOptions): ResolvedDeadlineOptions {
  const timeout = (name: string, value: number | null | undefined, fallback: number | null) => {
    if (value === undefined) return fallback;
    if (value === null) return null;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new ConnectError(
        `invalid option ${name}: must be a finite number of milliseconds > 0 or null, got ${String(value)}`,
        Code.InvalidArgument,
      );
    }
    return value;
  };
  const methods = new Map<string, number | null>();
  for (const [key, value] of Object.entries(options.methods ?? {})) {
    if (!methodKeyPattern.test(key)) {
      throw new ConnectError(
        `invalid option methods: key "${key}" must look like "user.v1.UserService/GetUser" or "user.v1.UserService"`,
        Code.InvalidArgument,
      );
    }
    methods.set(key, timeout(`methods["${key}"]`, value, null));
  }
  for (const name of ["ambientDeadline", "now"] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "function") {
      throw new ConnectError(`invalid option ${name}: must be a function`, Code.InvalidArgument);
    }
  }
  return {
    noSideEffectsUnaryTimeoutMs: timeout(
      "noSideEffectsUnaryTimeoutMs",
      options.noSideEffectsUnaryTimeoutMs,
      defaults.noSideEffectsUnaryTimeoutMs,
    ),
    unaryTimeoutMs: timeout("unaryTimeoutMs", options.unaryTimeoutMs, defaults.unaryTimeoutMs),
    clientStreamingTimeoutMs: timeout("clientStreamingTimeoutMs", options.clientStreamingTimeoutMs, defaults.clientStreamingTimeoutMs),
    serverStreamingTimeoutMs: timeout("serverStreamingTimeoutMs", options.serverStreamingTimeoutMs, defaults.serverStreamingTimeoutMs),
    bidiStreamingTimeoutMs: timeout("bidiStreamingTimeoutMs", options.bidiStreamingTimeoutMs, defaults.bidiStreamingTimeoutMs),
    methods,
    ambientDeadline: options.ambientDeadline,
    now: options.now ?? Date.now,
  };
}
