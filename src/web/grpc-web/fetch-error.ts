import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The error of a failed `fetch` (or body read): a TypeError such as "Failed
 * to fetch" or "Load failed" means the server could not be reached, or the
 * browser blocked the response (CORS looks the same to a page), so it is
 * UNAVAILABLE, which retries and resuming streams treat like any other
 * client's lost connection. Anything else is UNKNOWN. The original stays the cause.
 */
export function networkError(e: unknown, url: string, when = ""): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof TypeError) {
    return new ConnectError(
      `network error calling ${url}${when === "" ? "" : ` ${when}`}: ${e.message} (the server is unreachable, or the browser blocked the response: check CORS)`,
      Code.Unavailable,
      undefined,
      undefined,
      e,
    );
  }
  return ConnectError.from(e, Code.Unknown);
}
