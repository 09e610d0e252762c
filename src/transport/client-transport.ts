import type { ClosableTransport } from "./closable-transport.js";

/**
 * Connectivity of a transport or of one endpoint, as gRPC's
 * (doc/connectivity-semantics-and-api.md), plus "closed" after close().
 */
export type ConnectivityState = "idle" | "connecting" | "ready" | "transient_failure" | "closed";

/** One endpoint of a transport, as `endpoints()` reports it. */
export interface EndpointStatus {
  readonly origin: string;
  readonly state: ConnectivityState;
  /** With health checking: whether the endpoint last said SERVING (true too without a health service); undefined before its first answer, or without health checking. */
  readonly serving: boolean | undefined;
  /** In transient failure: why the last connect failed. */
  readonly lastError: string | undefined;
}

/**
 * What `createTransport` returns on every platform: a connect Transport you
 * can watch and close. The Node and the browser entry both declare it, so
 * code type-checked with `moduleResolution: "bundler"` (which picks the
 * browser declarations, having no "node" condition) sees the same methods it
 * calls on Node. Where a platform has nothing to report, it says so plainly:
 * a browser has no endpoints of its own (fetch owns the connections).
 */
export interface ClientTransport extends ClosableTransport {
  /** Overall connectivity: ready if any endpoint is, else connecting, transient_failure or idle; closed after close(). */
  state(): ConnectivityState;
  /** Each endpoint's connectivity (Node over HTTP/2; empty before the first call, over HTTP/1.1 and in browsers). */
  endpoints(): EndpointStatus[];
  /** Calls `listener` whenever the state of the transport or of an endpoint changes; returns the unsubscribe function. */
  onStateChange(listener: (state: ConnectivityState) => void): () => void;
  /** Resolves the target and starts connecting every endpoint now, instead of on the first call (nothing to do in browsers). */
  connect(): Promise<void>;
}
