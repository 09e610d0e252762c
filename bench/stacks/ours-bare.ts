import { createTransport } from "../../src/node/index.js";
import type { BenchClient } from "./bench-client.js";
import { createConnectBenchClient } from "./connect-bench-client.js";

/**
 * Our transport with every interceptor off (no auth, retry, deadline,
 * correlation or logging): what remains is our own gRPC transport over
 * `node:http2` and its connection pool, used through connect-es's
 * `createClient`. Against ours-full, it shows what the policies cost.
 */
export function createOursBareClient(baseUrl: string): BenchClient {
  const transport = createTransport({ baseUrl, retry: false, timeouts: false, correlation: false, maxConnections: 1 });
  return createConnectBenchClient(transport, () => transport.close({ graceMs: 0 }));
}
