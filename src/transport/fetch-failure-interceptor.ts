import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Turns fetch's network failure (a TypeError such as "Failed to fetch" or
 * "Load failed", which connect-web reports as UNKNOWN) into UNAVAILABLE, the
 * gRPC code for "the server could not be reached": retries, resuming streams
 * and callers then treat a browser's dropped connection like any other client's.
 * A response blocked by CORS looks the same to a page, so the message says so.
 */
export function createFetchFailureInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      const failure = fetchFailure(e);
      if (failure === undefined || req.signal.aborted) throw e;
      throw new ConnectError(
        `network error calling ${req.url}: ${failure.message} (the server is unreachable, or the browser blocked the response: check CORS)`,
        Code.Unavailable,
        undefined,
        undefined,
        failure,
      );
    }
  };
}

function fetchFailure(e: unknown): TypeError | undefined {
  if (e instanceof TypeError) return e;
  if (e instanceof ConnectError && e.code === Code.Unknown && e.cause instanceof TypeError) return e.cause;
  return undefined;
}
