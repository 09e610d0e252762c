import type { ClosableTransport } from "./closable-transport.js";

/**
 * Connectivity of a transport, as gRPC names it: ready if a call can go now,
 * connecting, transient_failure, idle (nothing open, nothing wanted), or
 * closed after `close()`.
 */
export type ConnectivityState = "idle" | "connecting" | "ready" | "transient_failure" | "closed";

/**
 * What `createTransport` returns on every runtime: a connect `Transport` you
 * can close gracefully, count the calls of and ask for its state. Node adds
 * endpoints and state-change events (NodeTransport); in browsers fetch owns
 * the connections, so the state is "ready" until `close()`.
 */
export interface RpcTransport extends ClosableTransport {
  /** Overall connectivity; "closed" once `close()` was called. */
  state(): ConnectivityState;
}
