import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { BenchClient } from "./bench-client.js";
import { createConnectBenchClient } from "./connect-bench-client.js";

/**
 * connect-node's gRPC transport with its defaults (one HTTP/2 session), used
 * through connect-es's `createClient`. The session manager is created here,
 * as createGrpcTransport would, only so that close() can release it.
 */
export function createConnectNodeClient(baseUrl: string): BenchClient {
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager });
  return createConnectBenchClient(transport, async () => sessionManager.abort());
}
