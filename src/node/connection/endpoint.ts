import type * as http2 from "node:http2";
import { createHttp2Connection, type Http2Connection, type Http2ConnectionOptions } from "./http2-connection.js";

// Declared with the transport type every platform's createTransport returns.
import type { ConnectivityState } from "../../transport/client-transport.js";
export type { ConnectivityState };

/** Options for {@link createEndpoint}; the pool resolves every default. */
export interface EndpointOptions extends Omit<Http2ConnectionOptions, "origin" | "onUnusable" | "keepaliveIntervalMs"> {
  origin: string;
  /** Current keepalive interval (it grows after "too_many_pings"). */
  keepaliveIntervalMs(): number | undefined;
  maxConnections: number;
  /** Reconnect backoff after a failed connect (gRPC connection backoff: ×1.6, ±20% jitter). */
  reconnectInitialBackoffMs: number;
  reconnectMaxBackoffMs: number;
  onStateChange(endpoint: Endpoint): void;
}

/** One server address with up to `maxConnections` HTTP/2 connections. */
export interface Endpoint {
  readonly origin: string;
  state(): ConnectivityState;
  /** The last connect error, while in transient failure. */
  lastError(): Error | undefined;
  /** A connection with room for one more stream, opening one if allowed; rejects when connecting fails. */
  connection(): Promise<Http2Connection>;
  /** A ready connection with room for one more stream right now, or undefined: the synchronous fast path of `connection()`. */
  connectionNow(): Http2Connection | undefined;
  /** Starts connecting in the background if idle. */
  warmUp(): void;
  /** Streams in flight finish, then every connection closes; the endpoint is done. */
  drain(): void;
  /** Closes every connection at once. */
  destroy(): void;
  readonly activeStreams: number;
}

/** Creates an endpoint; it connects lazily, on the first call or `warmUp()`. */
export function createEndpoint(options: EndpointOptions): Endpoint {
  const connections = new Set<Http2Connection>();
  let connecting: Promise<Http2Connection> | undefined;
  let state: ConnectivityState = "idle";
  let lastError: Error | undefined;
  let backoffMs = options.reconnectInitialBackoffMs;
  let retryTimer: NodeJS.Timeout | undefined;

  const setState = (next: ConnectivityState) => {
    if (state === next || state === "closed") return;
    state = next;
    options.onStateChange(endpoint);
  };
  const usable = () => [...connections].filter((c) => c.usable());
  const refreshState = () => {
    if (state === "closed" || state === "transient_failure") return;
    if (usable().length > 0) setState("ready");
    else if (connecting) setState("connecting");
    else setState("idle");
  };

  const open = (): Promise<Http2Connection> => {
    const connection = createHttp2Connection({
      ...options,
      keepaliveIntervalMs: options.keepaliveIntervalMs(),
      nodeOptions: options.nodeOptions as http2.SecureClientSessionOptions,
      onUnusable(c) {
        if (!c.usable() && c.activeStreams === 0) connections.delete(c);
        const wasReady = state === "ready";
        refreshState();
        // A server that went away: reconnect in the background, as gRPC's
        // round robin does, so the endpoint rejoins as soon as it is back.
        if (wasReady && state === "idle" && !c.idleClosed()) warmUp();
      },
    });
    connections.add(connection);
    const attempt = connection.ready.then(
      () => {
        backoffMs = options.reconnectInitialBackoffMs;
        lastError = undefined;
        if (state === "transient_failure") state = "connecting";
        return connection;
      },
      (error: Error) => {
        connections.delete(connection);
        lastError = error;
        scheduleReprobe();
        throw error;
      },
    );
    connecting = attempt;
    setState(state === "transient_failure" ? "transient_failure" : "connecting");
    void attempt
      .finally(() => {
        if (connecting === attempt) connecting = undefined;
        refreshState();
      })
      .catch(() => {});
    return attempt;
  };

  const scheduleReprobe = () => {
    if (state === "closed") return;
    setState("transient_failure");
    clearTimeout(retryTimer);
    const jittered = backoffMs * (0.8 + Math.random() * 0.4);
    backoffMs = Math.min(backoffMs * 1.6, options.reconnectMaxBackoffMs);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (state !== "transient_failure") return;
      open().catch(() => {});
    }, jittered);
    retryTimer.unref();
  };

  const warmUp = () => {
    if (state === "idle" && connecting === undefined) open().catch(() => {});
  };

  const endpoint: Endpoint = {
    origin: options.origin,
    state: () => state,
    lastError: () => lastError,
    async connection() {
      for (;;) {
        if (state === "closed") throw new Error(`endpoint ${options.origin} is closed`);
        const ready = usable();
        const roomy = ready.filter((c) => c.hasCapacity());
        // Every open connection is full and no more may be opened: queue on the least loaded one.
        const chosen =
          roomy.length > 0
            ? leastLoaded(roomy)
            : ready.length > 0 && !connecting && connections.size >= options.maxConnections
              ? leastLoaded(ready)
              : undefined;
        if (chosen) {
          chosen.reserve();
          return chosen;
        }
        // Wait for the connection being opened (or open one), then look again:
        // callers waiting together must not all pile onto it.
        await (connecting ?? open());
      }
    },
    connectionNow() {
      let best: Http2Connection | undefined;
      for (const c of connections) {
        if (!c.usable() || !c.hasCapacity()) continue;
        if (best === undefined || c.activeStreams < best.activeStreams) best = c;
      }
      return best;
    },
    warmUp,
    drain() {
      clearTimeout(retryTimer);
      setState("closed");
      for (const c of connections) c.drain();
    },
    destroy() {
      clearTimeout(retryTimer);
      setState("closed");
      for (const c of connections) c.destroy();
      connections.clear();
    },
    get activeStreams() {
      let n = 0;
      for (const c of connections) n += c.activeStreams;
      return n;
    },
  };
  return endpoint;
}

function leastLoaded(connections: Http2Connection[]): Http2Connection {
  return connections.reduce((best, c) => (c.activeStreams < best.activeStreams ? c : best));
}
