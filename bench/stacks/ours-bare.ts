import { createTransport } from "../../src/node/index.js";
import type { BenchClient } from "./bench-client.js";
import { createConnectBenchClient } from "./connect-bench-client.js";

/**
 * Our transport with every interceptor off (no auth, retry, deadline,
 * correlation or logging): what remains is our connection pool and the
 * closable and typed-error wrappers around connect-node's gRPC transport,
 * used through connect-es's `createClient`.
 */
export function createOursBareClient(baseUrl: string): BenchClient {
  const transport = createTransport({ baseUrl, retry: false, timeouts: false, correlation: false, maxConnections: 1 });
  return createConnectBenchClient(transport, () => transport.close({ graceMs: 0 }));
}
