/// <reference lib="esnext.disposable" preserve="true" />
/**
 * "userctl-rpc/users" on Node (package.json "node" condition): the typed
 * client of the reference UserService (proto/user/v1), on the transport of
 * "userctl-rpc".
 */
import { setMaxListeners } from "node:events";
import type { Transport } from "@connectrpc/connect";
import { createUserClient as createUserClientOn } from "../client/user-client.js";
import type { UserClient } from "../client/user-client.js";
import { createTransport } from "../node/create-transport.js";
import type { TransportOptions } from "../transport/transport-options.js";

/** Creates a UserService client on a Transport, or on options for `createTransport`. */
export function createUserClient(transportOrOptions: Transport | TransportOptions): UserClient {
  // Every call in flight listens to the client's lifetime signal: more than 10 is normal.
  return createUserClientOn(transportOrOptions, createTransport, { shareSignal: (signal) => setMaxListeners(0, signal) });
}

export * from "./user-api.js";
