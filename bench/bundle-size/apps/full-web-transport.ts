// "full", bench schema: our web createTransport with auth, retry, deadline,
// logging and correlation all on, createClient, one unary call and one
// server stream.
import { createClient } from "@connectrpc/connect";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { createLoggingInterceptor, createTransport } from "../../../src/web/index.js";

const transport = createTransport({
  baseUrl: "https://api.example.com",
  auth: "token-1",
  retry: { maxAttempts: 4 },
  timeouts: { unaryTimeoutMs: 10_000 },
  logging: createLoggingInterceptor({ logger: console }),
  correlation: { headerName: "x-request-id" },
});
const client = createClient(UserService, transport);
console.log(await client.getUser({ userId: "u-1" }));
for await (const event of client.watchUsers({})) console.log(event);
