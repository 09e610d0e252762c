// connect-web alone: the gRPC-Web transport, createClient and the same
// unary call, with no code of ours but the generated service.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";

const transport = createGrpcWebTransport({ baseUrl: "https://api.example.com" });
const client = createClient(UserService, transport);
console.log(await client.getUser({ userId: "u-1" }));
