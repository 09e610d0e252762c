import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

// A @grpc/grpc-js UserService client built at run time from
// proto/user/v1/user_service.proto by proto-loader: what a Node team using
// grpc-js, not our library, would write against our server.

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));

// The user.v1 messages as proto-loader decodes them: camelCase fields, enums
// as their names, int64 as decimal strings, defaults filled in.
export interface GrpcJsUser {
  id: string;
  email: string;
  name: string;
  age: number;
  roles: string[];
  status: string;
  createTime: { seconds: string; nanos: number } | null;
}
export interface GrpcJsUserResponse {
  user: GrpcJsUser | null;
}
export interface GrpcJsListUsersResponse {
  users: GrpcJsUser[];
  nextPageToken: string;
  totalSize: number;
}
export interface GrpcJsWatchUsersResponse {
  sequence: string;
  type: string;
  user: GrpcJsUser | null;
}
export interface GrpcJsBulkCreateUsersResponse {
  createdCount: number;
  userIds: string[];
  failures: { index: number; code: number; message: string }[];
}
export interface GrpcJsSyncUsersResponse {
  index: string;
  user: GrpcJsUser | null;
  code: number;
  message: string;
}

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

/** The generic client proto-loader makes for user.v1.UserService, typed for these tests. */
export interface GrpcJsUserClient extends grpc.Client {
  GetUser(request: object, metadata: grpc.Metadata, callback: Callback<GrpcJsUserResponse>): grpc.ClientUnaryCall;
  ListUsers(request: object, metadata: grpc.Metadata, callback: Callback<GrpcJsListUsersResponse>): grpc.ClientUnaryCall;
  CreateUser(request: object, metadata: grpc.Metadata, callback: Callback<GrpcJsUserResponse>): grpc.ClientUnaryCall;
  UpdateUser(request: object, metadata: grpc.Metadata, callback: Callback<GrpcJsUserResponse>): grpc.ClientUnaryCall;
  DeleteUser(request: object, metadata: grpc.Metadata, callback: Callback<object>): grpc.ClientUnaryCall;
  WatchUsers(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<GrpcJsWatchUsersResponse>;
  BulkCreateUsers(metadata: grpc.Metadata, callback: Callback<GrpcJsBulkCreateUsersResponse>): grpc.ClientWritableStream<object>;
  SyncUsers(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, GrpcJsSyncUsersResponse>;
}

/** A plaintext grpc-js UserService client for `address` ("127.0.0.1:port"); `close()` it when done. */
export function createGrpcJsUserClient(address: string): GrpcJsUserClient {
  const definition = protoLoader.loadSync("user/v1/user_service.proto", {
    includeDirs: [PROTO_ROOT],
    defaults: true,
    enums: String,
    longs: String,
  });
  const UserService = definition["user.v1.UserService"] as grpc.ServiceDefinition;
  const Client = grpc.makeGenericClientConstructor(UserService, "UserService");
  return new Client(address, grpc.credentials.createInsecure()) as unknown as GrpcJsUserClient;
}
