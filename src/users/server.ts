/**
 * "userctl-rpc/users/server" (Node): the reference UserService server, its
 * service implementation and an in-memory repository, built on the kit of
 * "userctl-rpc/server".
 */
export { createUserServiceServer } from "../server/user-service-server.js";
export type { UserServiceServer, UserServiceServerOptions } from "../server/user-service-server.js";
export { createMemoryUserRepository } from "../server/memory-user-repository.js";
export type { MemoryUserRepositoryOptions } from "../server/memory-user-repository.js";
export type {
  EventRead,
  NewUser,
  UserEvent,
  UserFilter,
  UserPage,
  UserPatch,
  UserRepository,
} from "../server/user-repository.js";
export { createUserService } from "../server/user-service.js";
export type { UserServiceOptions } from "../server/user-service.js";
