/**
 * The browser entry (package.json "browser" and "default" conditions):
 * gRPC-Web over fetch by default, Connect on request; no Node built-ins.
 */
import type { Transport } from "@connectrpc/connect";
import { createUserClient as createUserClientOn } from "../client/user-client.js";
import type { UserClient } from "../client/user-client.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTransport } from "./create-transport.js";

export { createTransport };

/** Creates a UserService client on a Transport, or on options for `createTransport`. */
export function createUserClient(transportOrOptions: Transport | TransportOptions): UserClient {
  return createUserClientOn(transportOrOptions, createTransport);
}

export * from "../public-api.js";
