// The call object is runtime-neutral, shared with gRPC-Web over fetch.
export { CallRegistry, GrpcCall } from "../../call/grpc-call.js";
