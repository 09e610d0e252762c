export { createRpcServer } from "./rpc-server.js";
export type { HttpHandler, RpcServer, RpcServerOptions } from "./rpc-server.js";
export type { ServerTlsOptions } from "./dual-protocol-listener.js";
export { createReflectionIndex } from "./reflection-index.js";
export type { ReflectionIndex } from "./reflection-index.js";
export { createReflectionService, createReflectionServiceV1Alpha } from "./reflection-service.js";
export { createUserServiceServer } from "./user-service-server.js";
export type { UserServiceServer, UserServiceServerOptions } from "./user-service-server.js";
export { createMemoryUserRepository } from "./memory-user-repository.js";
export type { MemoryUserRepositoryOptions } from "./memory-user-repository.js";
export type {
  EventRead,
  NewUser,
  UserEvent,
  UserFilter,
  UserPage,
  UserPatch,
  UserRepository,
} from "./user-repository.js";
export { createUserService } from "./user-service.js";
export type { UserServiceOptions } from "./user-service.js";
export { createHealthRegistry, ServingStatus } from "./health-registry.js";
export type { HealthRegistry } from "./health-registry.js";
export { createHealthService } from "./health-service.js";
export { createServerAuthInterceptor } from "./server-auth-interceptor.js";
export type { ServerAuthInterceptorOptions } from "./server-auth-interceptor.js";
export { createServerLoggingInterceptor } from "./server-logging-interceptor.js";
export type { ServerLogger } from "./server-logging-interceptor.js";
