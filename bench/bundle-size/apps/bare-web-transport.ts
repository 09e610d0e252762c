// Our web createTransport with its defaults (no interceptors option, no auth,
// no logger): browser streaming guard, correlation, deadline and retry
// interceptors, and the typed-error transport wrapper. One unary call.
import { createClient } from "@connectrpc/connect";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { createTransport } from "../../../src/web/index.js";

const transport = createTransport({ baseUrl: "https://api.example.com" });
const client = createClient(UserService, transport);
console.log(await client.getUser({ userId: "u-1" }));
