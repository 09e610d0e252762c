import type * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { type ConnectivityState, createEndpoint, type Endpoint } from "./endpoint.js";
import { watchEndpointHealth } from "./endpoint-health.js";
import type { Http2Connection } from "./http2-connection.js";
import { notSentError } from "./not-sent-error.js";
import type { Target } from "./parse-target.js";
import type { EndpointStatus } from "../../transport/client-transport.js";

/** Options for {@link createConnectionPool}, every default resolved by the transport. */
export interface ConnectionPoolOptions {
  target: Target;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number | undefined;
  keepaliveTimeoutMs: number;
  keepaliveWithoutCalls: boolean;
  idleTimeoutMs: number;
  maxConnections: number;
  /** The flow-control window advertised per stream and per connection. */
  flowControlWindowBytes: number;
  nodeOptions: http2.SecureClientSessionOptions;
  /** Watch each endpoint with grpc.health.v1.Health/Watch for this service; only SERVING ones get calls. */
  healthCheckService: string | undefined;
  /** How often a DNS target is resolved again. */
  dnsRefreshMs: number;
  reconnectInitialBackoffMs: number;
  reconnectMaxBackoffMs: number;
}

// What one endpoint looks like from outside, declared with the transport type every platform's createTransport returns.
export type { EndpointStatus };

/**
 * The HTTP/2 connections of one transport: round robin over the endpoints
 * that are ready (and SERVING, with health checking), up to `maxConnections`
 * per endpoint, failed endpoints ejected and re-probed with backoff. It has
 * the shape connect-node expects of a session manager.
 */
export interface ConnectionPool {
  readonly authority: string;
  request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream>;
  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void;
  /**
   * A stream opened at once on a ready connection with room (round robin over
   * eligible endpoints), or undefined when the pool must first resolve,
   * connect or wait: then use `connection()`. No promise on the hot path.
   * `headers` must hold `:method` and `:path`.
   */
  openNow(headers: http2.OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions): http2.ClientHttp2Stream | undefined;
  /** A connection with room for one more stream, connecting first if needed; rejects with an UNAVAILABLE "not sent" error. */
  connection(): Promise<Http2Connection>;
  /** Resolves the target and starts connecting every endpoint, without a call. */
  warmUp(): Promise<void>;
  state(): ConnectivityState;
  endpoints(): EndpointStatus[];
  onStateChange(listener: () => void): () => void;
  /** Streams in flight end; every connection, timer and watch is released. */
  close(): void;
}

/** Creates the pool; nothing connects until the first call (or `connect()`). */
export function createConnectionPool(options: ConnectionPoolOptions): ConnectionPool {
  const endpoints = new Map<string, Endpoint>();
  const serving = new Map<string, boolean>();
  const healthWatches = new Map<string, AbortController>();
  const listeners = new Set<() => void>();
  let keepaliveIntervalMs = options.keepaliveIntervalMs;
  let next = 0;
  let closed = false;
  let resolved: Promise<void> | undefined;
  let resolveError: Error | undefined;
  let dnsTimer: NodeJS.Timeout | undefined;
  let changed = signalOnce();

  // The endpoints as an array for the per-call fast path, rebuilt only when the set changes.
  let list: Endpoint[] | undefined;
  const endpointList = () => (list ??= [...endpoints.values()]);

  const notify = () => {
    list = undefined;
    changed.fire();
    changed = signalOnce();
    for (const listener of listeners) listener();
  };

  const eligible = (e: Endpoint) => e.state() === "ready" && (options.healthCheckService === undefined || serving.get(e.origin) === true);

  const onEndpointState = (e: Endpoint) => {
    if (options.healthCheckService !== undefined) {
      if (e.state() === "ready" && !healthWatches.has(e.origin)) startHealthWatch(e);
      if (e.state() !== "ready" && e.state() !== "connecting") stopHealthWatch(e.origin);
    }
    notify();
  };

  const startHealthWatch = (e: Endpoint) => {
    const abort = new AbortController();
    healthWatches.set(e.origin, abort);
    void watchEndpointHealth(e, options.healthCheckService!, abort.signal, (isServing) => {
      if (serving.get(e.origin) === isServing) return;
      serving.set(e.origin, isServing);
      notify();
    });
  };
  const stopHealthWatch = (origin: string) => {
    healthWatches.get(origin)?.abort();
    healthWatches.delete(origin);
    serving.delete(origin);
  };

  const reconcile = (origins: string[]) => {
    for (const origin of origins) {
      if (endpoints.has(origin)) continue;
      endpoints.set(
        origin,
        createEndpoint({
          ...options,
          origin,
          keepaliveIntervalMs: () => keepaliveIntervalMs,
          onTooManyPings() {
            // gRFC A8: the server thinks we ping too often; double the interval for new connections.
            if (keepaliveIntervalMs !== undefined) keepaliveIntervalMs *= 2;
          },
          onStateChange: onEndpointState,
        }),
      );
    }
    for (const [origin, endpoint] of endpoints) {
      if (origins.includes(origin)) continue;
      endpoints.delete(origin);
      stopHealthWatch(origin);
      endpoint.drain();
    }
    notify();
  };

  const resolveNow = async () => {
    try {
      const origins = await options.target.resolve();
      if (closed) return;
      if (origins.length === 0) throw new Error("the name resolved to no address");
      resolveError = undefined;
      reconcile(origins);
    } catch (e) {
      resolveError = e instanceof Error ? e : new Error(String(e));
      notify();
    }
  };

  const ensureResolved = () => {
    resolved ??= resolveNow().then(() => {
      if (options.target.dynamic && !closed) {
        dnsTimer = setInterval(() => void resolveNow(), options.dnsRefreshMs);
        dnsTimer.unref();
      }
    });
    return resolved;
  };

  const pick = async (): Promise<Endpoint> => {
    await ensureResolved();
    const giveUpAt = Date.now() + options.connectTimeoutMs;
    for (;;) {
      if (closed) throw new ConnectError("transport is closed", Code.Canceled);
      const all = [...endpoints.values()];
      const ready = all.filter(eligible);
      if (ready.length > 0) return ready[next++ % ready.length]!;
      for (const e of all) e.warmUp();
      // Connect attempts end by themselves (connectTimeoutMs); only endpoints
      // waiting for their first health answer need a bound of ours.
      const connecting = all.filter((e) => e.state() === "connecting" || e.state() === "idle");
      const awaitingHealth = all.filter((e) => e.state() === "ready" && !serving.has(e.origin));
      if (connecting.length === 0 && (awaitingHealth.length === 0 || Date.now() >= giveUpAt)) throw noEndpointError(all);
      await changed.wait(connecting.length > 0 ? options.connectTimeoutMs + 1_000 : giveUpAt - Date.now());
    }
  };

  const noEndpointError = (all: Endpoint[]): ConnectError => {
    if (all.length === 0) {
      return notSentError(`cannot resolve ${options.target.baseUrl}: ${resolveError?.message ?? "no address"}`, resolveError);
    }
    const reasons = all.map((e) => {
      const last = e.lastError();
      const why = last ? ConnectError.from(last).rawMessage : serving.get(e.origin) === false ? "not SERVING" : e.state();
      return `${e.origin}: ${why}`;
    });
    const cause = all.find((e) => e.lastError() !== undefined)?.lastError();
    // One endpoint: its own connect error says it all.
    if (all.length === 1 && cause instanceof ConnectError) return cause;
    return notSentError(`no endpoint of ${options.target.baseUrl} is available (${reasons.join("; ")})`, cause);
  };

  return {
    authority: new URL(options.target.baseUrl).origin,
    async request(method, path, headers, requestOptions) {
      const endpoint = await pick();
      const connection = await endpoint.connection();
      const stream = connection.request(method, path, headers, requestOptions);
      if (isGrpcWeb(headers["content-type"])) stream.once("response", rejectNonGrpcWeb);
      return stream;
    },
    notifyResponseByteRead() {},
    openNow(headers, requestOptions) {
      if (closed || endpoints.size === 0) return undefined;
      // One pass over the endpoints from the round-robin cursor: the first
      // eligible one with a roomy connection takes the stream.
      const all = endpointList();
      for (let i = 0; i < all.length; i++) {
        const e = all[(next + i) % all.length]!;
        if (!eligible(e)) continue;
        const c = e.connectionNow();
        if (c === undefined) continue;
        next += i + 1;
        return c.open(headers, requestOptions);
      }
      return undefined;
    },
    async connection() {
      const endpoint = await pick();
      return endpoint.connection();
    },
    async warmUp() {
      await ensureResolved();
      for (const e of endpoints.values()) e.warmUp();
    },
    state() {
      if (closed) return "closed";
      // gRFC A17: an endpoint that said NOT_SERVING is in transient failure; one not heard from yet is connecting.
      const states = [...endpoints.values()].map((e) =>
        e.state() === "ready" && !eligible(e) ? (serving.has(e.origin) ? "transient_failure" : "connecting") : e.state(),
      );
      for (const s of ["ready", "connecting", "transient_failure"] as const) if (states.includes(s)) return s;
      return resolveError !== undefined ? "transient_failure" : "idle";
    },
    endpoints() {
      return [...endpoints.values()].map((e) => ({
        origin: e.origin,
        state: e.state(),
        serving: serving.get(e.origin),
        lastError: e.lastError() === undefined ? undefined : ConnectError.from(e.lastError()).rawMessage,
      }));
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(dnsTimer);
      for (const origin of healthWatches.keys()) stopHealthWatch(origin);
      for (const e of endpoints.values()) e.destroy();
      endpoints.clear();
      notify();
      listeners.clear();
    },
  };
}

function isGrpcWeb(contentType: unknown): boolean {
  return typeof contentType === "string" && contentType.startsWith("application/grpc-web");
}

/**
 * connect-node's gRPC-Web client reads any 2xx body as envelopes, so a proxy's
 * HTML page with 200 ends as a nonsense RESOURCE_EXHAUSTED ("<!do" read as a
 * length prefix). A 2xx that is not gRPC-Web ends the stream with UNKNOWN,
 * as http-grpc-status-mapping.md gives a response without grpc-status
 * (issue 13 item 5). Registered before connect-node's listener, so it runs first.
 */
function rejectNonGrpcWeb(this: http2.ClientHttp2Stream, header: http2.IncomingHttpHeaders): void {
  const status = header[":status"] as unknown as number | undefined;
  const contentType = header["content-type"];
  if (status === undefined || status < 200 || status >= 300 || isGrpcWeb(contentType)) return;
  this.destroy(
    new ConnectError(`unsupported content type ${String(contentType)} with HTTP ${status}: not a gRPC-Web response`, Code.Unknown),
  );
}

/** A one-shot signal to wait on, with a timeout. */
function signalOnce(): { fire(): void; wait(ms: number): Promise<void> } {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return {
    fire: () => fire(),
    wait(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
      return Promise.race([fired, timeout]).finally(() => clearTimeout(timer));
    },
  };
}
