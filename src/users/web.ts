/// <reference lib="esnext.disposable" preserve="true" />
/**
 * "userctl-rpc/users" in browsers (package.json "browser" and "default"
 * conditions): the typed client of the reference UserService
 * (proto/user/v1), on the transport of "userctl-rpc"; no Node built-ins.
 */
import type { Transport } from "@connectrpc/connect";
import { createUserClient as createUserClientOn } from "../client/user-client.js";
import type { UserClient } from "../client/user-client.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTransport } from "../web/index.js";

/** Creates a UserService client on a Transport, or on options for `createTransport`. */
export function createUserClient(transportOrOptions: Transport | TransportOptions): UserClient {
  return createUserClientOn(transportOrOptions, createTransport);
}

export * from "./user-api.js";
