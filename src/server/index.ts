/**
 * "userctl-rpc/server" (Node): the generic server kit for any service: one
 * listener for gRPC, gRPC-Web and Connect, reflection, health, auth and
 * logging. The reference UserService server is "userctl-rpc/users/server".
 */
export { createRpcServer } from "./rpc-server.js";
export type { HttpHandler, RpcServer, RpcServerOptions } from "./rpc-server.js";
export type { ServerTlsOptions } from "./dual-protocol-listener.js";
export { createReflectionIndex } from "./reflection-index.js";
export type { ReflectionIndex } from "./reflection-index.js";
export { createReflectionService, createReflectionServiceV1Alpha } from "./reflection-service.js";
export { createHealthRegistry, ServingStatus } from "./health-registry.js";
export type { HealthRegistry } from "./health-registry.js";
export { createHealthService } from "./health-service.js";
export { createServerAuthInterceptor } from "./server-auth-interceptor.js";
export type { ServerAuthInterceptorOptions } from "./server-auth-interceptor.js";
export { createServerLoggingInterceptor } from "./server-logging-interceptor.js";
export type { ServerLogger } from "./server-logging-interceptor.js";
