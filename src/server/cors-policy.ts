import { cors } from "@connectrpc/connect";
import type * as http from "node:http";
import type * as http2 from "node:http2";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Options for {@link createCorsPolicy}. */
export interface CorsPolicyOptions {
  /**
   * Origins (e.g. "https://app.example.com") whose pages may call the server,
   * or "*" for any. The server's own origin is always allowed. Defaults to the
   * server's own origin plus any http(s) origin on localhost, 127.0.0.0/8 or [::1].
   */
  allowedOrigins?: readonly string[];
}

/**
 * Answers a request's CORS part: returns true when it has fully answered the
 * request (a preflight), false when the request should go on to the handler,
 * with the CORS response headers already set for an allowed origin.
 */
export type CorsPolicy = (req: Request, res: Response) => boolean;

// What browsers must let a page read: the gRPC-Web status and details, and
// the headers our client interceptors act on (server pushback, correlation).
const exposedHeaders = [
  ...cors.exposedHeaders.map((name) => name.toLowerCase()),
  "grpc-retry-pushback-ms",
  "retry-after",
  "x-correlation-id",
].join(", ");

/** Creates the CORS policy of the reference server. */
export function createCorsPolicy(options: CorsPolicyOptions = {}): CorsPolicy {
  const allowed = normalizeOrigins(options.allowedOrigins);
  return (req, res) => {
    const origin = header(req, "origin");
    const isPreflight = req.method === "OPTIONS" && header(req, "access-control-request-method") !== undefined;
    if (origin === undefined) return false;
    const url = parseOrigin(origin);
    const ok =
      (url !== undefined && isSameOrigin(url, req)) ||
      (allowed === undefined ? url !== undefined && isLoopback(url) : allowed.has("*") || allowed.has(origin));
    res.setHeader("vary", "Origin");
    if (!ok) {
      if (!isPreflight) return false; // the browser withholds the response from the page
      res.statusCode = 403;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end(`origin ${origin} is not allowed to call this server\n`);
      return true;
    }
    res.setHeader("access-control-allow-origin", origin);
    if (!isPreflight) {
      res.setHeader("access-control-expose-headers", exposedHeaders);
      return false;
    }
    res.statusCode = 204;
    res.setHeader("access-control-allow-methods", cors.allowedMethods.join(", "));
    // An allowed origin may send whatever headers its calls carry (auth,
    // correlation ids, custom metadata), so the requested list is reflected.
    res.setHeader(
      "access-control-allow-headers",
      header(req, "access-control-request-headers") ?? cors.allowedHeaders.join(", ").toLowerCase(),
    );
    res.setHeader("access-control-max-age", "7200");
    res.end();
    return true;
  };
}

function normalizeOrigins(origins: readonly string[] | undefined): Set<string> | undefined {
  if (origins === undefined) return undefined;
  return new Set(
    origins.map((origin) => {
      if (origin === "*") return origin;
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        throw new Error(`allowedOrigins: ${JSON.stringify(origin)} is not an origin like "https://app.example.com" or "*"`);
      }
      if (url.origin === "null" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
        throw new Error(`allowedOrigins: ${JSON.stringify(origin)} must be a scheme, host and optional port, nothing more`);
      }
      return url.origin;
    }),
  );
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseOrigin(origin: string): URL | undefined {
  try {
    return new URL(origin);
  } catch {
    return undefined;
  }
}

function isSameOrigin(origin: URL, req: Request): boolean {
  const host = header(req, "host") ?? header(req, ":authority");
  return host !== undefined && origin.host === host.toLowerCase();
}

function isLoopback(url: URL): boolean {
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const host = url.hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}
