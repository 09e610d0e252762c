// connect-web alone on the tiny schema: createGrpcWebTransport, createClient
// and the same unary call, with no code of ours.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { PingService } from "../../../gen/tiny/v1/ping_service_pb.js";

const transport = createGrpcWebTransport({ baseUrl: "https://api.example.com" });
const client = createClient(PingService, transport);
console.log(await client.ping({ text: "hello" }));
