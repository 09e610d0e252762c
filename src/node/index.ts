/**
 * The Node entry (package.json "node" condition): gRPC over HTTP/2 by
 * default, ambient deadline and correlation propagation.
 */
import { setMaxListeners } from "node:events";
import type { Transport } from "@connectrpc/connect";
import { createUserClient as createUserClientOn } from "../client/user-client.js";
import type { UserClient } from "../client/user-client.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTransport } from "./create-transport.js";

export { createTransport };
export type { NodeTransport } from "./create-transport.js";
export type { ConnectivityState, RpcTransport } from "../transport/rpc-transport.js";
export type { EndpointStatus } from "./connection/connection-pool.js";

/** Creates a UserService client on a Transport, or on options for `createTransport`. */
export function createUserClient(transportOrOptions: Transport | TransportOptions): UserClient {
  // Every call in flight listens to the client's lifetime signal: more than 10 is normal.
  return createUserClientOn(transportOrOptions, createTransport, { shareSignal: (signal) => setMaxListeners(0, signal) });
}

export {
  createAmbientContextServerInterceptor,
  currentCorrelationId,
  currentDeadline,
  withCorrelationId,
  withDeadline,
} from "./ambient-context.js";
export * from "../public-api.js";
