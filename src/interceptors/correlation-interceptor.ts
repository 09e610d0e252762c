import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** The header that carries a correlation id, unless configured otherwise. */
export const defaultCorrelationHeader = "x-correlation-id";

/** Options for {@link createCorrelationInterceptor}. */
export interface CorrelationInterceptorOptions {
  /** Request header that carries the id (lower case). Defaults to "x-correlation-id". */
  headerName?: string;
  /**
   * Returns the id of the work this call is part of, e.g. the one a server
   * handler received; it is reused instead of a new one. On Node pass
   * `nodeAmbientCorrelationId` from `src/node/ambient-context.ts`. Defaults to none.
   */
  ambientCorrelationId?: () => string | undefined;
  /** Makes a new id, injectable for tests. Defaults to `crypto.randomUUID()`. */
  generateId?: () => string;
}

const headerNamePattern = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Creates an interceptor that tags every call with a correlation id header,
 * so that logs on both sides of a call (and of the calls it causes) can be
 * joined. The id is, in order: the one the caller already set in the
 * request headers, the ambient one, or a new UUID.
 */
export function createCorrelationInterceptor(options: CorrelationInterceptorOptions = {}): Interceptor {
  const opt = validateCorrelationOptions(options);
  return (next) => async (req) => {
    if (!req.header.has(opt.headerName)) {
      req.header.set(opt.headerName, opt.ambientCorrelationId?.() || opt.generateId());
    }
    return await next(req);
  };
}

/**
 * A new UUID v4 as one flat string. V8 builds `randomUUID()`'s result as a
 * rope of some twenty pieces, and Node keeps a stream's request headers
 * with the stream until the next full GC, so every scavenge in between
 * copied the rope: 490 B a call. Reading one character flattens it in place.
 */
function newCorrelationId(): string {
  const id = crypto.randomUUID();
  id.charCodeAt(0);
  return id;
}

/** Applies the defaults and rejects bad values with an InvalidArgument error naming the option. */
export function validateCorrelationOptions(options: CorrelationInterceptorOptions) {
  const { headerName = defaultCorrelationHeader, ambientCorrelationId, generateId = newCorrelationId } = options;
  if (typeof headerName !== "string" || !headerNamePattern.test(headerName)) {
    throw new ConnectError(`invalid option headerName: "${String(headerName)}" is not a lower-case header name`, Code.InvalidArgument);
  }
  if (ambientCorrelationId !== undefined && typeof ambientCorrelationId !== "function") {
    throw new ConnectError("invalid option ambientCorrelationId: must be a function", Code.InvalidArgument);
  }
  if (typeof generateId !== "function") {
    throw new ConnectError("invalid option generateId: must be a function", Code.InvalidArgument);
  }
  return { headerName, ambientCorrelationId, generateId } as const;
}
