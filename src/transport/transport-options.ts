import type { Registry } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { AuthInterceptorOptions } from "../interceptors/auth-interceptor.js";
import type { CorrelationInterceptorOptions } from "../interceptors/correlation-interceptor.js";
import type { DeadlineInterceptorOptions } from "../interceptors/deadline-interceptor.js";
import type { Logger, LogLevel } from "../interceptors/logging-interceptor.js";
import type { RetryOptions } from "../interceptors/retry-options.js";
import type { TokenSource } from "../interceptors/token-cache.js";

/** The wire protocol a transport speaks. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** Per-method-kind and per-method default deadlines; see createDeadlineInterceptor. */
export type TimeoutOptions = Omit<DeadlineInterceptorOptions, "ambientDeadline" | "now">;

/**
 * Options of `createTransport`, flat, every one optional but `baseUrl`. The
 * Node build honours all of them; the browser build ignores the Node-only
 * ones (TLS files, HTTP/2 keepalive, compression, message size limits) and
 * rejects `protocol: "grpc"`.
 */
export interface TransportOptions {
  /**
   * Where the service lives, e.g. "https://api.example.com" or
   * "http://127.0.0.1:50051". Required. Node over HTTP/2 also takes a list of
   * URLs (one endpoint each, same scheme and path) or "dns:///host:port"
   * (every A/AAAA record, re-resolved every `dnsRefreshMs`; TLS when `ca`,
   * `cert` or `servername` is set): calls then go round robin over the ready endpoints.
   */
  baseUrl: string | readonly string[];
  /**
   * The wire protocol. Defaults to "grpc" on Node and "grpc-web" in browsers
   * (which cannot speak gRPC: fetch exposes no HTTP trailers).
   */
  protocol?: Protocol;
  /**
   * HTTP version on Node: "2" or "1.1" (gRPC needs "2"; gRPC-Web and Connect
   * work over both, but bidirectional streams need "2"). Defaults to "2".
   * gRPC-Web proxies (grpcwebproxy, Envoy's HTTP/1.1 listeners) often speak
   * HTTP/1.1 only: set "1.1" for them (a call over "2" fails naming this option).
   * Browsers pick their own.
   */
  httpVersion?: "1.1" | "2";
  /**
   * Bearer token for every call: a string, a function returning one (or a
   * promise of one), or full auth interceptor options. Defaults to none.
   */
  auth?: TokenSource | AuthInterceptorOptions;
  /** Retry policy (gRFC A6), or false for none. Defaults to the retry interceptor's defaults. */
  retry?: RetryOptions | false;
  /** Default deadlines, or false for none. Defaults to 5 s for reads, 30 s for other unary calls, 120 s for client streams. */
  timeouts?: TimeoutOptions | false;
  /** Where to log one line per call (console, pino, ...). Defaults to no logging. */
  logger?: Logger;
  /** Lowest level logged; "debug" adds headers (redacted) and bodies. Defaults to "info". */
  logLevel?: LogLevel;
  /**
   * Logging as the interceptor `createLoggingInterceptor({ logger, level })`
   * returns: the same as `logger` and `logLevel`, in a form a bundler can
   * see, so an app without logging does not carry the logging code. The
   * browser `createTransport` takes only this form. It runs around the whole
   * call, inside telemetry. Defaults to none.
   */
  logging?: Interceptor;
  /** Sends `x-correlation-id` (options, or false for none). Defaults to on. */
  correlation?: CorrelationInterceptorOptions | boolean;
  /**
   * Your own interceptors. They run innermost, once per attempt, after auth
   * has set the header: they see exactly what goes on the wire. Defaults to none.
   */
  interceptors?: Interceptor[];
  /**
   * Tracing and metrics: the interceptor `createTelemetryInterceptor()` from
   * "userctl-rpc/telemetry" returns. It runs outermost, so its span covers
   * the whole call, every retry attempt and backoff included, and each attempt
   * gets a child span. Defaults to none (and OpenTelemetry is never loaded).
   */
  telemetry?: Interceptor;
  /** Headers sent on every call (a call's own headers win). Defaults to none. */
  headers?: HeadersInit;
  /**
   * Browser only: the `fetch` to call, e.g. one that adds a CSRF header or a
   * test double. Defaults to `globalThis.fetch`, looked up on every call.
   */
  fetch?: typeof globalThis.fetch;
  /**
   * Browser only: fetch's `credentials`, whether cookies and HTTP auth go
   * with each call: "include" sends them cross-site too (the server must then
   * answer CORS with `access-control-allow-credentials: true` and its exact
   * origin). Defaults to fetch's own default, "same-origin".
   */
  credentials?: RequestCredentials;
  /** Largest response message accepted, in bytes. Defaults to 4 MiB, as grpc-js. */
  readMaxBytes?: number;
  /** Node only: largest request message sent, in bytes. Defaults to no limit, as grpc-js. */
  writeMaxBytes?: number;
  /** Compress requests with this algorithm (Node only). Defaults to none; gzip and br responses are always accepted. */
  sendCompression?: "gzip" | "br";
  /**
   * Node only: request messages smaller than this many bytes are sent
   * uncompressed, since compressing them costs more than it saves; 0
   * compresses every message, empty ones included. Defaults to 1024, as connect-es.
   */
  compressMinBytes?: number;
  /** Use the binary protobuf format (true) or JSON (false, Connect and gRPC-Web only). Defaults to true. */
  useBinaryFormat?: boolean;
  /**
   * The message types that `google.protobuf.Any` fields may hold, so that the
   * JSON format can read and write them (the binary format needs none).
   * Defaults to none: JSON messages with an Any fail to parse.
   */
  jsonRegistry?: Registry;
  /**
   * Connect only: send unary calls of `NO_SIDE_EFFECTS` methods as HTTP GET
   * requests, which browsers and CDNs can cache. Defaults to false.
   */
  useHttpGet?: boolean;
  // PEM data is `string | Uint8Array` (a Buffer is one) so that these
  // declarations need no @types/node in browser projects (issue 15 item 3).
  /** Node only: PEM CA certificate(s) to trust instead of the system ones. */
  ca?: string | Uint8Array | (string | Uint8Array)[];
  /** Node only: PEM client certificate for mutual TLS. */
  cert?: string | Uint8Array;
  /** Node only: PEM private key of `cert`. */
  key?: string | Uint8Array;
  /** Node only: the TLS server name (SNI) to verify. Defaults to the host of baseUrl. */
  servername?: string;
  /** Node only: verify the server certificate. Defaults to true. */
  rejectUnauthorized?: boolean;
  /**
   * Node HTTP/2 only: how long opening a connection may take, up to the
   * server's HTTP/2 SETTINGS (so a host that accepts TCP and then stays
   * silent counts as not connecting). A call's shorter deadline wins.
   * Defaults to 20 s, gRPC's minimum connect timeout.
   */
  connectTimeoutMs?: number;
  /** Node HTTP/2 only: PING interval, like GRPC_ARG_KEEPALIVE_TIME_MS; doubled after a GOAWAY "too_many_pings" (gRFC A8). Defaults to none. */
  keepaliveIntervalMs?: number;
  /** Node HTTP/2 only: how long to wait for a PING answer before the connection counts as dead, like GRPC_ARG_KEEPALIVE_TIMEOUT_MS. Defaults to 20 s. */
  keepaliveTimeoutMs?: number;
  /** Node HTTP/2 only: PING even with no call in flight, like GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS. Defaults to false. */
  keepaliveWithoutCalls?: boolean;
  /** Node HTTP/2 only: close a connection idle this long, like GRPC_ARG_CLIENT_IDLE_TIMEOUT_MS. Defaults to 15 minutes. */
  idleTimeoutMs?: number;
  /**
   * Node HTTP/2 only: connections per endpoint. Another one opens when every
   * open one is at the server's SETTINGS_MAX_CONCURRENT_STREAMS. Defaults to 4.
   */
  maxConnections?: number;
  /**
   * Node HTTP/2 only: watch each endpoint with grpc.health.v1.Health/Watch for
   * `service` and send calls only to SERVING ones (gRFC A17; an endpoint
   * without the health service counts as serving). Defaults to no health checking.
   */
  healthCheck?: { service: string };
  /**
   * Node HTTP/2 only: the flow-control window we advertise, per stream and
   * for each connection, in bytes (65,535 to 2^31 - 1): how much a server may
   * send before the client has read it. Larger windows speed up big or fast
   * server streams; memory stays bounded by it, since a stream its reader
   * does not drain is paused. Defaults to 1 MiB, as grpc-java's
   * `flowControlWindow` (HTTP/2's own default is 64 KiB).
   */
  flowControlWindowBytes?: number;
  /** Node only: how often a "dns:///" baseUrl is resolved again. Defaults to 30 s. */
  dnsRefreshMs?: number;
}

/** gRPC's default largest message a client accepts (grpc-js, grpc-go): 4 MiB. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The flow-control window the Node transport advertises, per stream and per
 * connection: 1 MiB, grpc-java's default (grpc-go grows towards 16 MiB by BDP
 * estimation). With HTTP/2's 64 KiB a server stream stalls for a
 * WINDOW_UPDATE round trip every 64 KiB: on loopback the bench's server
 * stream (1,000 messages of 70 B) ran 116k msgs/s at 8.2 µs CPU each, and
 * 140k at 6.9 µs with 1 MiB.
 */
export const DEFAULT_FLOW_CONTROL_WINDOW_BYTES = 1 << 20;
