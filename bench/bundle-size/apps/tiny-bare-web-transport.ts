// "bare", tiny schema (one method): our web createTransport with its
// defaults, createClient and one unary call. On this schema protobuf-es's
// runtime is most of the bundle, so our own code shows most.
import { createClient } from "@connectrpc/connect";
import { PingService } from "../../../gen/tiny/v1/ping_service_pb.js";
import { createTransport } from "../../../src/web/index.js";

const transport = createTransport({ baseUrl: "https://api.example.com" });
const client = createClient(PingService, transport);
console.log(await client.ping({ text: "hello" }));
