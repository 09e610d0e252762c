import { type DescMessage, type JsonValue, type MessageShape, toJson } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { attemptCountKey } from "./attempt-count.js";
import { redacted, redactHeaders } from "./redact-headers.js";

/** Log levels, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Anything with pino-style level methods taking `(fields, message)`: pino,
 * bunyan, or `console` (which prints both the fields object and the message).
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The structured fields of the line logged for each call. */
export interface CallLogFields {
  /** `"<package>.<Service>/<Method>"`. */
  method: string;
  /** Status code as in the Connect protocol: "ok", "not_found", "deadline_exceeded", ... */
  code: string;
  durationMs: number;
  /** Attempts made, from the retry interceptor ({@link attemptCountKey}); 1 without retries. */
  attempts: number;
  /** Request messages sent (streaming calls only). */
  requestCount?: number;
  /** Response messages received (streaming calls only). */
  responseCount?: number;
  /** The error message of a failed call. */
  error?: string;
  /** Debug level only, credentials redacted. */
  requestHeaders?: Record<string, string>;
  /** Debug level only, credentials redacted. */
  responseHeaders?: Record<string, string>;
  /** Debug level only, credentials redacted. */
  responseTrailers?: Record<string, string>;
  /** Debug level only: the unary request as proto3 JSON, `password` fields redacted. */
  request?: JsonValue;
  /** Debug level only: the unary response as proto3 JSON, `password` fields redacted. */
  response?: JsonValue;
}

/** Options for {@link createLoggingInterceptor}. */
export interface LoggingInterceptorOptions {
  /** Where lines go: `console`, pino, or any {@link Logger}. Defaults to `console`. */
  logger?: Logger;
  /** Lines below this level are dropped; "debug" adds headers and bodies. Defaults to "info". */
  level?: LogLevel;
  /** Header names redacted on top of authorization, cookie, set-cookie and proxy-authorization. Defaults to none. */
  redactHeaders?: readonly string[];
  /** Monotonic clock in milliseconds, injectable for tests. Defaults to `performance.now`. */
  now?: () => number;
}

interface ResolvedLoggingOptions {
  readonly logger: Logger;
  readonly minRank: number;
  readonly debug: boolean;
  readonly redactHeaders: readonly string[];
  readonly now: () => number;
}

const levelRank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Creates an interceptor that logs one structured line per call: `info` when
 * it succeeds, `warn` when it fails, with the method, status code, duration,
 * attempts and, for streams, message counts. At the "debug" level the line
 * also carries headers and unary bodies, and each stream message gets a debug
 * line of its own. Credentials headers and fields named `password` are always
 * redacted.
 *
 * A streaming call is logged when its response stream ends. Place this
 * interceptor first in the array (outermost) to log the call as the caller
 * saw it, with the final attempt count.
 */
export function createLoggingInterceptor(options: LoggingInterceptorOptions = {}): Interceptor {
  const opt = validateLoggingOptions(options);
  return (next) => async (req) => {
    const method = `${req.service.typeName}/${req.method.name}`;
    const start = opt.now();
    const counts = { request: 0, response: 0 };
    const finish = (res: UnaryResponse | StreamResponse | undefined, error: ConnectError | undefined) => {
      const fields: CallLogFields = {
        method,
        code: error === undefined ? "ok" : codeToString(error.code),
        durationMs: Math.round(opt.now() - start),
        attempts: req.contextValues.get(attemptCountKey),
      };
      if (req.stream) {
        fields.requestCount = counts.request;
        fields.responseCount = counts.response;
      }
      if (error !== undefined) fields.error = error.rawMessage;
      if (opt.debug) addDebugFields(fields, req, res, error, opt);
      const text =
        error === undefined
          ? `${method} ok in ${fields.durationMs} ms`
          : `${method} failed with ${fields.code} in ${fields.durationMs} ms: ${error.rawMessage}`;
      emit(opt, error === undefined ? "info" : "warn", fields, text);
    };

    const sent = req.stream ? { ...req, message: tap(req.message, (m) => onMessage("request", m)) } : req;
    function onMessage(direction: "request" | "response", message: unknown) {
      const index = ++counts[direction];
      if (!opt.debug) return;
      const schema = direction === "request" ? req.method.input : req.method.output;
      emit(opt, "debug", { method, direction, index, message: loggableJson(schema, message) }, `${method} ${direction} #${index}`);
    }

    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(sent);
    } catch (e) {
      finish(undefined, ConnectError.from(e));
      throw e;
    }
    if (!res.stream) {
      finish(res, undefined);
      return res;
    }
    const streamRes = res;
    let done = false;
    return {
      ...streamRes,
      message: tap(streamRes.message, (m) => onMessage("response", m), {
        onEnd() {
          if (!done) finish(streamRes, undefined);
          done = true;
        },
        onError(e) {
          if (!done) finish(streamRes, ConnectError.from(e));
          done = true;
        },
        onClose() {
          if (!done) finish(streamRes, new ConnectError("stream closed by the caller", Code.Canceled));
          done = true;
        },
      }),
    };
  };
}

function addDebugFields(
  fields: CallLogFields,
  req: UnaryRequest | StreamRequest,
  res: UnaryResponse | StreamResponse | undefined,
  error: ConnectError | undefined,
  opt: ResolvedLoggingOptions,
): void {
  fields.requestHeaders = redactHeaders(req.header, opt.redactHeaders);
  if (!req.stream) fields.request = loggableJson(req.method.input, req.message);
  const responseHeader = res?.header ?? error?.metadata;
  if (responseHeader !== undefined) {
    fields.responseHeaders = redactHeaders(responseHeader, opt.redactHeaders);
  }
  if (res !== undefined) {
    fields.responseTrailers = redactHeaders(res.trailer, opt.redactHeaders);
    if (!res.stream) fields.response = loggableJson(req.method.output, res.message);
  }
}

// A logger that throws must never fail the call it logs.
function emit(opt: ResolvedLoggingOptions, level: LogLevel, fields: object, message: string): void {
  if (levelRank[level] < opt.minRank) return;
  try {
    opt.logger[level](fields, message);
  } catch {
    // Dropping the line is the lesser harm.
  }
}

/** Proto3 JSON of a message, with every field named `password` redacted. */
function loggableJson(schema: DescMessage, message: unknown): JsonValue {
  try {
    return redactPasswords(toJson(schema, message as MessageShape<DescMessage>));
  } catch (e) {
    return `[not loggable: ${e instanceof Error ? e.message : String(e)}]`;
  }
}

function redactPasswords(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(redactPasswords);
  if (value === null || typeof value !== "object") return value;
  const result: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] = key.toLowerCase() === "password" ? redacted : redactPasswords(item);
  }
  return result;
}

interface TapHooks {
  onEnd(): void;
  onError(e: unknown): void;
  onClose(): void;
}

// Observes each item of a stream, and how the stream ends.
function tap<T>(iterable: AsyncIterable<T>, onItem: (item: T) => void, hooks?: TapHooks): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = iterable[Symbol.asyncIterator]();
      const wrapped: AsyncIterator<T> = {
        async next() {
          let result: IteratorResult<T>;
          try {
            result = await it.next();
          } catch (e) {
            hooks?.onError(e);
            throw e;
          }
          if (result.done === true) hooks?.onEnd();
          else onItem(result.value);
          return result;
        },
        async return(value?: unknown) {
          hooks?.onClose();
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
      if (it.throw !== undefined) {
        const inner = it.throw.bind(it);
        wrapped.throw = (e?: unknown) => inner(e);
      }
      return wrapped;
    },
  };
}

function validateLoggingOptions(options: LoggingInterceptorOptions): ResolvedLoggingOptions {
  const { logger = console, level = "info", redactHeaders: extra = [], now } = options;
  for (const name of ["debug", "info", "warn", "error"] as const) {
    if (typeof logger?.[name] !== "function") {
      throw new ConnectError(`invalid option logger: it has no ${name}() method`, Code.InvalidArgument);
    }
  }
  if (!Object.hasOwn(levelRank, level)) {
    throw new ConnectError(`invalid option level: "${String(level)}" is not one of debug, info, warn, error`, Code.InvalidArgument);
  }
  if (!Array.isArray(extra) || extra.some((name) => typeof name !== "string")) {
    throw new ConnectError("invalid option redactHeaders: must be an array of header names", Code.InvalidArgument);
  }
  if (now !== undefined && typeof now !== "function") {
    throw new ConnectError("invalid option now: must be a function", Code.InvalidArgument);
  }
  return {
    logger,
    minRank: levelRank[level],
    debug: level === "debug",
    redactHeaders: extra.map((name) => name.toLowerCase()),
    now: now ?? (() => performance.now()),
  };
}
