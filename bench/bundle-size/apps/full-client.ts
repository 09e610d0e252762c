// Our createUserClient (the resuming watch, typed helpers) on the web
// createTransport with auth, retry, deadline, logging and correlation: one
// get call and a watch loop. Not a goal row: it adds the user client.
import { createUserClient } from "../../../src/users/web.js";
import { createLoggingInterceptor, createTransport } from "../../../src/web/index.js";

const client = createUserClient(
  createTransport({
    baseUrl: "https://api.example.com",
    auth: "token-1",
    retry: { maxAttempts: 4 },
    timeouts: { unaryTimeoutMs: 10_000 },
    logging: createLoggingInterceptor({ logger: console }),
    correlation: { headerName: "x-request-id" },
  }),
);
console.log(await client.getUser("u-1"));
for await (const event of client.watchUsers({ userIds: ["u-1"] })) console.log(event);
