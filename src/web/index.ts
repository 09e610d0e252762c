/**
 * The browser entry (package.json "browser" and "default" conditions):
 * binary gRPC-Web over fetch by default; the Connect protocol and JSON only
 * through `createTransportWithConnect`. No Node built-ins.
 */
import type { Transport } from "@connectrpc/connect";
import { createUserClient as createUserClientOn } from "../client/user-client.js";
import type { UserClient } from "../client/user-client.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTransport } from "./create-transport.js";

export { createTransport };
export { createTransportWithConnect } from "./create-transport-with-connect.js";
export type { ConnectivityState, RpcTransport } from "../transport/rpc-transport.js";

/** Creates a UserService client on a Transport, or on options for `createTransport` (binary gRPC-Web). */
export function createUserClient(transportOrOptions: Transport | TransportOptions): UserClient {
  return createUserClientOn(transportOrOptions, createTransport);
}

export * from "../public-api.js";
