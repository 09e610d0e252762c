// "full", tiny schema: our web createTransport with auth, retry, deadline,
// logging and correlation on, createClient and one unary call (the schema
// has no stream).
import { createClient } from "@connectrpc/connect";
import { PingService } from "../../../gen/tiny/v1/ping_service_pb.js";
import { createLoggingInterceptor, createTransport } from "../../../src/web/index.js";

const transport = createTransport({
  baseUrl: "https://api.example.com",
  auth: "token-1",
  retry: { maxAttempts: 4 },
  timeouts: { unaryTimeoutMs: 10_000 },
  logging: createLoggingInterceptor({ logger: console }),
  correlation: { headerName: "x-request-id" },
});
const client = createClient(PingService, transport);
console.log(await client.ping({ text: "hello" }));
