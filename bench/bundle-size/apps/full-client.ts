// Our createUserClient with every interceptor on: auth, retry, deadline,
// logging and correlation. One get call and a watch loop.
import { createUserClient } from "../../../src/users/web.js";

const client = createUserClient({
  baseUrl: "https://api.example.com",
  auth: "token-1",
  retry: { maxAttempts: 4 },
  timeouts: { unaryTimeoutMs: 10_000 },
  logger: console,
  correlation: { headerName: "x-request-id" },
});
console.log(await client.getUser("u-1"));
for await (const event of client.watchUsers({ userIds: ["u-1"] })) console.log(event);
