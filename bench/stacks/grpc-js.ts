import * as grpc from "@grpc/grpc-js";
import type { BenchClient } from "./bench-client.js";
import { createGrpcJsBenchClient } from "./grpc-js-bench-client.js";

/**
 * `@grpc/grpc-js` as it comes: no deadline, no metadata. The empty Metadata
 * and options are what grpc-js makes itself when a call is given none.
 */
export function createGrpcJsClient(baseUrl: string): BenchClient {
  return createGrpcJsBenchClient(baseUrl, () => ({ metadata: new grpc.Metadata(), options: {} }));
}
