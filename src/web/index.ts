/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The browser entry of "userctl-rpc" (package.json "browser" and "default"
 * conditions): the generic client for any service, binary gRPC-Web over
 * fetch by default; the Connect protocol and JSON only through
 * `createTransportWithConnect`, so an app that does not use them does not
 * carry them. No Node built-ins. The UserService client is "userctl-rpc/users".
 */
import type { ClientTransport } from "../transport/client-transport.js";

export { createTransport } from "./create-transport.js";
export { createTransportWithConnect } from "./create-transport-with-connect.js";

/** The browser transport: the same type as on Node (see ClientTransport). */
export type NodeTransport = ClientTransport;
export * from "../public-api.js";
