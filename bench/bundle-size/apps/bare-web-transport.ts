// "bare", bench schema: our web createTransport with its defaults (no auth,
// no logging, no interceptors): binary gRPC-Web over fetch with the
// default retry, deadline and correlation policies and typed errors, plus
// createClient and one unary call.
import { createClient } from "@connectrpc/connect";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { createTransport } from "../../../src/web/index.js";

const transport = createTransport({ baseUrl: "https://api.example.com" });
const client = createClient(UserService, transport);
console.log(await client.getUser({ userId: "u-1" }));
