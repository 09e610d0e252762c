import { AsyncLocalStorage } from "node:async_hooks";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { defaultCorrelationHeader } from "../interceptors/correlation-interceptor.js";
import { readTimeoutHeader } from "../interceptors/timeout-header.js";

/**
 * The ambient call context: what the work running now (typically a server
 * handler) was given by its own caller, so that the calls it makes in turn can
 * inherit it without passing it by hand. Node only, on AsyncLocalStorage.
 */
interface AmbientCallContext {
  /** Absolute deadline in epoch milliseconds. */
  readonly deadline: number | undefined;
  readonly correlationId: string | undefined;
}

const storage = new AsyncLocalStorage<AmbientCallContext>();

// Incoming ids are client-controlled: only plain, short tokens are propagated.
const correlationIdPattern = /^[\x21-\x7e]{1,128}$/;

/**
 * Runs `fn` with a deadline `timeoutMs` from now. Nested deadlines can only
 * shrink: the earlier of the new and the enclosing deadline applies.
 */
export function withDeadline<T>(timeoutMs: number, fn: () => T): T {
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new ConnectError(`invalid withDeadline timeoutMs ${String(timeoutMs)}: must be a finite number >= 0`, Code.InvalidArgument);
  }
  const outer = storage.getStore();
  const deadline = earlier(outer?.deadline, Date.now() + timeoutMs);
  return storage.run({ deadline, correlationId: outer?.correlationId }, fn);
}

/** The ambient deadline in epoch milliseconds, or undefined outside any. */
export function currentDeadline(): number | undefined {
  return storage.getStore()?.deadline;
}

/** Runs `fn` with the given correlation id, replacing any enclosing one. */
export function withCorrelationId<T>(id: string, fn: () => T): T {
  if (typeof id !== "string" || !correlationIdPattern.test(id)) {
    throw new ConnectError("invalid withCorrelationId id: must be 1 to 128 visible ASCII characters", Code.InvalidArgument);
  }
  const outer = storage.getStore();
  return storage.run({ deadline: outer?.deadline, correlationId: id }, fn);
}

/** The ambient correlation id, or undefined outside any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** The `ambientDeadline` option of `createDeadlineInterceptor` on Node. */
export const nodeAmbientDeadline: () => number | undefined = currentDeadline;

/** The `ambientCorrelationId` option of `createCorrelationInterceptor` on Node. */
export const nodeAmbientCorrelationId: () => string | undefined = currentCorrelationId;

/** Options for {@link createAmbientContextServerInterceptor}. */
export interface AmbientContextServerInterceptorOptions {
  /** Request header the correlation id arrives in (lower case). Defaults to "x-correlation-id". */
  correlationHeader?: string;
}

/**
 * Creates a server-side interceptor that runs the handler inside an ambient
 * context holding the incoming call's deadline (from `grpc-timeout` or
 * `connect-timeout-ms`) and its correlation id, so that client calls made by
 * the handler through the deadline and correlation interceptors inherit them.
 *
 * The handler runs partly when `next(req)` is called (unary, client
 * streaming) and partly while the response stream is read (server streaming,
 * bidi), so both run inside the context.
 */
export function createAmbientContextServerInterceptor(options: AmbientContextServerInterceptorOptions = {}): Interceptor {
  const { correlationHeader = defaultCorrelationHeader } = options;
  if (typeof correlationHeader !== "string" || correlationHeader === "") {
    throw new ConnectError("invalid option correlationHeader: must be a header name", Code.InvalidArgument);
  }
  return (next) => async (req) => {
    const outer = storage.getStore();
    const timeoutMs = readTimeoutHeader(req.header);
    const incomingId = req.header.get(correlationHeader)?.trim();
    const context: AmbientCallContext = {
      deadline: earlier(outer?.deadline, timeoutMs === undefined ? undefined : Date.now() + timeoutMs),
      correlationId: incomingId !== undefined && correlationIdPattern.test(incomingId) ? incomingId : outer?.correlationId,
    };
    const res = await storage.run(context, () => next(req));
    if (!res.stream) return res;
    return { ...res, message: runEachStep(context, res.message) } as StreamResponse;
  };
}

// Steps the iterator inside the context: a generator handler's body runs
// during next(), and its awaits keep the context they started in.
function runEachStep<T>(context: AmbientCallContext, iterable: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = iterable[Symbol.asyncIterator]();
      const stepped: AsyncIterator<T> = {
        next: () => storage.run(context, () => it.next()),
      };
      if (it.return !== undefined) {
        const ret = it.return.bind(it);
        stepped.return = (value?: unknown) => storage.run(context, () => ret(value));
      }
      if (it.throw !== undefined) {
        const thr = it.throw.bind(it);
        stepped.throw = (e?: unknown) => storage.run(context, () => thr(e));
      }
      return stepped;
    },
  };
}

function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
