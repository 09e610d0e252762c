import type { Interceptor, StreamResponse, UnaryResponse } from "@connectrpc/connect";
import { validateRetryableCodes } from "../errors/retryable-codes.js";
import { toTypedError, type ToTypedErrorOptions } from "../errors/to-typed-error.js";

/** Options of createTypedErrorInterceptor(); every field is optional. */
export interface TypedErrorInterceptorOptions {
  /**
   * The codes whose errors get `retryable: true`; give the same list as the
   * retry interceptor. Defaults to DEFAULT_RETRYABLE_CODES (Unavailable,
   * ResourceExhausted, Aborted).
   */
  retryableCodes?: ToTypedErrorOptions["retryableCodes"];
}

/**
 * Converts every error a call throws into the typed error for its code (see
 * toTypedError()), keeping its message, metadata, details and cause:
 * - unary calls: the error of the call;
 * - streaming calls: the error that starts the call, and any error while
 *   reading response messages.
 *
 * Install it outermost (first in the `interceptors` array) so that retries,
 * deadlines and auth errors from the interceptors inside it are typed too.
 * Invalid options throw here, not on the first error.
 */
export function createTypedErrorInterceptor(options: TypedErrorInterceptorOptions = {}): Interceptor {
  const convertOptions: ToTypedErrorOptions = {
    retryableCodes: validateRetryableCodes(options.retryableCodes),
  };
  return (next) => async (req) => {
    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(req);
    } catch (e) {
      throw toTypedError(e, convertOptions);
    }
    if (!res.stream) return res;
    return { ...res, message: typedErrorsOf(res.message, convertOptions) };
  };
}

/** Yields the messages of `source`, converting the error that ends it, if any. */
async function* typedErrorsOf<T>(source: AsyncIterable<T>, options: ToTypedErrorOptions): AsyncGenerator<T> {
  try {
    // yield* also forwards return(), so a caller that stops reading early
    // still closes the underlying stream.
    yield* source;
  } catch (e) {
    throw toTypedError(e, options);
  }
}
