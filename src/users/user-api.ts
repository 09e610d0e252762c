/**
 * What "userctl-rpc/users" exports on every platform besides
 * createUserClient: the client's types and the UserService descriptors
 * (generated from proto/user/v1), for calling it with createClient too.
 */
export type { BulkCreateResult, NewUserInput, ResumeOptions, UserCallOptions, UserChanges, UserClient } from "../client/index.js";
export {
  BulkCreateFailureSchema,
  ListUsersResponseSchema,
  UserSchema,
  UserEventType,
  UserService,
  UserStatus,
  WatchUsersResponseSchema,
} from "../../gen/user/v1/user_service_pb.js";
export type { BulkCreateFailure, ListUsersResponse, User, WatchUsersResponse } from "../../gen/user/v1/user_service_pb.js";
