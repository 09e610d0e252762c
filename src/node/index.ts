/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The Node entry of "userctl-rpc" (package.json "node" condition): the
 * generic client for any service, gRPC over HTTP/2 by default, with ambient
 * deadline and correlation propagation. The UserService client is
 * "userctl-rpc/users"; servers are "userctl-rpc/server".
 */
export { createTransport } from "./create-transport.js";
export type { NodeTransport } from "./create-transport.js";
export {
  createAmbientContextServerInterceptor,
  currentCorrelationId,
  currentDeadline,
  withCorrelationId,
  withDeadline,
} from "./ambient-context.js";
export type { AmbientContextServerInterceptorOptions } from "./ambient-context.js";
export * from "../public-api.js";
